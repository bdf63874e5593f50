"""For the command tests: the developer's own settings kept out, a database initialised and
named on the command line, and a temporary box (a config naming its database, key directory
and broker files under one folder, and an initialised database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compound.app.cli import main


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither a COMPOUND_DB nor a COMPOUND_CONFIG of the shell the tests run in reaches the
    commands under test."""
    monkeypatch.delenv("COMPOUND_DB", raising=False)
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)


@pytest.fixture
def db(tmp_path: Path, no_env: None) -> Path:
    """A database initialised for site t1, given to each command with ``--db`` (modules that
    name theirs otherwise define their own ``db``)."""
    path = tmp_path / "box.db"
    assert main(["--db", str(path), "init", "--site", "t1"]) == 0
    return path


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "box"
    (root / "mosquitto").mkdir(parents=True)
    cfg = root / "compound.toml"
    cfg.write_text(
        f"""
[site]
id = "t1"
[broker]
password_file = "{root / "secrets/core.mqtt"}"
[store]
path = "{root / "lib/compound.db"}"
key_dir = "{root / "lib/keys"}"
[security]
password_file = "{root / "mosquitto/passwd"}"
acl_file = "{root / "mosquitto/acl"}"
broker_pid_file = ""
"""
    )
    monkeypatch.setenv("COMPOUND_CONFIG", str(cfg))
    monkeypatch.delenv("COMPOUND_DB", raising=False)
    assert main(["init", "--site", "t1"]) == 0
    (root / "secrets").mkdir()
    (root / "secrets/core.mqtt").write_text("core-password\n")
    (root / "mosquitto/passwd").write_text("core:$7$hash\n")
    (root / "mosquitto/acl").write_text("user core\ntopic readwrite compound/#\n")
    return root
