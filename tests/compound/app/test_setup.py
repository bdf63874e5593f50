"""``compound setup``: the first run of a box creates everything the services need, private,
and a second run changes nothing that works."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from compound.app.cli import main
from compound.domain.clock import SystemClock
from compound.store.db import Store


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "box"
    root.mkdir()
    cfg = root / "compound.toml"
    cfg.write_text(
        f"""
[site]
id = "fenglin"
name = "Fenglin"
[broker]
username = "core"
password_file = "{root / "etc/secrets/core.mqtt"}"
[store]
path = "{root / "lib/compound.db"}"
key_dir = "{root / "lib/keys"}"
[security]
password_file = "{root / "mosquitto/passwd"}"
acl_file = "{root / "mosquitto/acl"}"
broker_pid_file = ""
[[bridge.boards]]
name = "b1"
[[bridge.doors]]
id = "d1"
board = "b1"
relay = 0
[[bridge.doors]]
id = "d2"
board = "b1"
relay = 1
"""
    )
    monkeypatch.setenv("COMPOUND_CONFIG", str(cfg))
    monkeypatch.delenv("COMPOUND_DB", raising=False)
    return root


def setup(capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    assert main(["setup", "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_first_run_creates_what_the_services_need(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = setup(capsys)
    assert r["site"] == "fenglin"
    assert r["credentials"] == {"core": "issued", "bridge": "issued"}
    private = ["lib/compound.db", "lib/keys/master.key", "lib/keys/door-d1.key"]
    private += ["lib/keys/door-d2.key", "etc/secrets/core.mqtt", "etc/secrets/bridge.mqtt"]
    private += ["lib/backup.key"]  # [backup] key_file's default: beside the database
    assert r["backup_key"] == str(box / "lib/backup.key")
    for p in private:
        assert mode(box / p) == 0o600, p
    passwd = (box / "mosquitto/passwd").read_text()
    assert passwd.startswith("bridge:") and "\ncore:" in passwd
    acl = (box / "mosquitto/acl").read_text()
    assert "user core" in acl and "user bridge" in acl
    store = Store(box / "lib/compound.db", SystemClock(), box / "lib/keys")
    try:
        assert store.site_id == "fenglin"
        assert store.verify_log().ok
    finally:
        store.close()


def test_a_second_run_keeps_what_works_and_mends_what_is_lost(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup(capsys)
    files = ["lib/keys/master.key", "lib/keys/door-d1.key", "etc/secrets/core.mqtt",
             "etc/secrets/bridge.mqtt", "mosquitto/passwd", "mosquitto/acl",
             "lib/backup.key"]  # fmt: skip
    before = {f: (box / f).read_bytes() for f in files}
    r = setup(capsys)
    assert r["credentials"] == {"core": "kept", "bridge": "kept"}
    assert {f: (box / f).read_bytes() for f in files} == before

    (box / "etc/secrets/bridge.mqtt").unlink()  # a lost password is issued again
    r = setup(capsys)
    assert r["credentials"] == {"core": "kept", "bridge": "issued"}
    assert (box / "etc/secrets/bridge.mqtt").read_bytes() != before["etc/secrets/bridge.mqtt"]
    assert (box / "etc/secrets/core.mqtt").read_bytes() == before["etc/secrets/core.mqtt"]
    assert (box / "mosquitto/passwd").read_text().count("bridge:") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timezone", "Mars/Base"], "site timezone 'Mars/Base' is no IANA time zone"),
        (["--site", "a/b"], "site id 'a/b' must be"),
    ],
)
def test_a_bad_site_or_zone_is_refused_and_the_settings_stay(
    box: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """The zone was stored before it was checked: every report afterwards failed on it."""
    setup(capsys)
    for command in ("setup", "init"):
        assert main([command, *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
        store = Store(box / "lib/compound.db", SystemClock(), box / "lib/keys")
        try:
            assert store.site_id == "fenglin" and str(store.tz) == "Asia/Shanghai"
        finally:
            store.close()
    assert main(["report", "daily"]) == 0


def test_init_again_keeps_the_live_site_and_says_what_an_option_changes(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An installer re-running ``init`` reset the site's id, name and zone to the config's:
    the box's events and uplink records then carried another site's identity."""
    assert main(["init", "--site", "xa-01", "--name", "Yanta", "--timezone", "Asia/Urumqi"]) == 0
    capsys.readouterr()
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert "changed" not in out and "site xa-01" in out
    assert "kept site id xa-01 (the config says fenglin" in out

    def site() -> tuple[str | None, ...]:
        store = Store(box / "lib/compound.db", SystemClock(), box / "lib/keys")
        try:
            return tuple(store.setting(k) for k in ("site_id", "site_name", "timezone"))
        finally:
            store.close()

    assert site() == ("xa-01", "Yanta", "Asia/Urumqi")
    assert main(["init", "--timezone", "Asia/Shanghai"]) == 0
    out = capsys.readouterr().out
    assert "changed time zone Asia/Urumqi -> Asia/Shanghai" in out
    assert site() == ("xa-01", "Yanta", "Asia/Shanghai")
    assert main(["init", "--timezone", "Asia/Shanghai", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == []
