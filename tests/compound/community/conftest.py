"""One throwaway PostgreSQL for every city-tier test module of the session (starting one is
initdb plus a server start, a few seconds on a loaded machine)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devkit.postgres import TempPostgres, pg_bin
from tests.compound.community.city_parts import need


@pytest.fixture(scope="session")
def pg() -> Iterator[TempPostgres]:
    need(pg_bin(), "PostgreSQL (Debian package postgresql)")
    p = TempPostgres().start()
    yield p
    p.stop()
