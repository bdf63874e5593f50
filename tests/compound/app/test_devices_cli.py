"""``compound devices add`` on a temporary box: a password or key that cannot be written where
asked is refused before the credential is issued (issued and not written, it would be lost, since
only its hash is kept)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from compound.app.cli import main


def _devices(box: Path) -> list[str]:
    with sqlite3.connect(box / "lib/compound.db") as c:
        return [r[0] for r in c.execute("SELECT name FROM devices ORDER BY name")]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (["--password-file", "{box}/no-such-folder/panel.mqtt"], "cannot write the password"),
        (["--password-file", "{box}/lib"], "cannot write the password"),
        (["--key-dir", "{box}/compound.toml/keys"], "cannot write door keys"),
    ],
)
def test_a_credential_that_cannot_be_written_is_not_issued(
    box: Path, capsys: pytest.CaptureFixture[str], where: list[str], message: str
) -> None:
    before = _devices(box)
    acl = (box / "mosquitto/acl").read_text()
    argv = ["devices", "add", "b9", "--role", "bridge", "--door", "gate"]
    capsys.readouterr()
    assert main([*argv, *(w.format(box=box) for w in where)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert _devices(box) == before and (box / "mosquitto/acl").read_text() == acl
    # Once the place is right, the same device is issued (nothing half-made stands in its way).
    out = box / "b9.mqtt"
    assert main([*argv, "--password-file", str(out), "--key-dir", str(box / "door-keys")]) == 0
    assert len(out.read_text().strip()) >= 20 and (out.stat().st_mode & 0o777) == 0o600
    assert (box / "door-keys/door-gate.key").stat().st_size == 32


def test_a_refused_device_leaves_no_empty_password_file(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, again = box / "p1.mqtt", box / "again.mqtt"
    argv = ["devices", "add", "p1", "--role", "panel", "--door", "gate", "--password-file"]
    assert main([*argv, str(out)]) == 0
    first = out.read_text()
    capsys.readouterr()
    assert main([*argv, str(again)]) == 2
    assert "already has a credential" in capsys.readouterr().err
    assert not again.exists() and out.read_text() == first


def test_broker_files_that_cannot_be_written_take_the_credential_back(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issued, then the broker's files could not be rewritten (their folder is a file here; in
    life, a user not in the broker's group): the device stayed active with a password nobody
    was shown, and adding it again was refused."""
    config = box / "compound.toml"
    good = config.read_text()
    config.write_text(good.replace(str(box / "mosquitto/acl"), str(box / "f/acl")))
    (box / "f").write_text("")
    argv = ["devices", "add", "p2", "--role", "panel", "--door", "gate"]
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert str(box / "f") in err and len(err.splitlines()) == 1
    with sqlite3.connect(box / "lib/compound.db") as c:
        active = c.execute("SELECT name FROM devices WHERE revoked_at IS NULL").fetchall()
    assert ("p2",) not in active
    config.write_text(good)
    assert main(argv) == 0
    assert "password (shown once)" in capsys.readouterr().out
