"""A temporary box for the command tests: a config naming its database, key directory and
broker files under one folder, and an initialised database."""

from __future__ import annotations

from pathlib import Path

import pytest

from compound.app.cli import main


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
