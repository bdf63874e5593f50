"""Backups across versions: the archive taken before an upgrade restores with the new version
even when the new version's migration fails, because verifying reads the archive's database
as it is (no migration); an archive from a newer version than the running one is refused.

"A newer version" is the running code with one more migration in ``MIGRATIONS``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from compound.app.cli import main
from compound.store import migrations
from compound.store.backup import integrity_check
from compound.store.migrations import Migration
from tests.compound.app.test_backup import run


def newest(db: Path) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT max(number) FROM migrations").fetchone()[0])
    finally:
        conn.close()


def upgrade_to(step: Migration) -> pytest.MonkeyPatch:
    """The newer version, until ``undo()`` (a patch of its own: the box's config stays)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, step))
    return patch


def fails(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE half_done (x INTEGER)")
    raise sqlite3.OperationalError("disk I/O error (the upgrade's migration fails)")


def test_the_archive_before_a_failed_upgrade_restores_with_the_new_version(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = box / "lib/compound.db"
    assert main(["unit", "add", "1-1-1101"]) == 0
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    old_schema = newest(db)

    newer = upgrade_to(Migration(old_schema + 10_000, "an upgrade that fails", fails))
    assert main(["init"]) != 0, "the new version's migration fails on this box"
    assert newest(db) == old_schema

    rc, checked, err = run(capsys, "backup", "verify", made["archive"])
    assert rc == 0, err
    assert checked["schema"] == old_schema and checked["events"] >= 1
    rc, restored, err = run(capsys, "backup", "restore", made["archive"])
    assert rc == 0, err
    assert restored["schema"] == old_schema
    # Put back as it was taken: not migrated by the check, and sound.
    assert newest(db) == old_schema
    assert integrity_check(db) == "ok"
    newer.undo()
    rc, units, err = run(capsys, "unit", "list")
    assert rc == 0 and [u["address"] for u in units] == ["1-1-1101"], err
    rc, log, err = run(capsys, "log", "verify")
    assert rc == 0 and log["ok"], err


def test_an_archive_from_a_newer_version_is_refused(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = box / "lib/compound.db"
    old_schema = newest(db)
    step = Migration(
        old_schema + 10_000, "a newer table", lambda c: c.execute("CREATE TABLE t (x)")
    )
    newer = upgrade_to(step)
    assert main(["init"]) == 0
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    newer.undo()  # back to this version
    before = db.read_bytes()

    rc, _, err = run(capsys, "backup", "verify", made["archive"])
    assert rc != 0
    assert "from a newer version of compound" in err and str(step.number) in err, err
    rc, _, err = run(capsys, "backup", "restore", made["archive"], "--force")
    assert rc != 0 and "newer version" in err, err
    assert "Traceback" not in err
    assert db.read_bytes() == before, "nothing changed"
