"""The package tests build on ``./dev deb`` and a throwaway Debian root; they take minutes, so
they run as their own step, ``./dev test-install`` (which ``.ci/run`` calls), and are skipped
in ``./dev test``."""

from __future__ import annotations

import os
import shutil

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    why = None
    if os.environ.get("COMPOUND_TEST_INSTALL") != "1":
        why = "the package tests run in ./dev test-install"
    elif os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("dpkg-deb"):
        why = "the package tests need root, unshare and dpkg-deb"
    if why:
        for item in items:
            if "tests/install/" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=why))
