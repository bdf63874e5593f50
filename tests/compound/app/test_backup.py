"""``compound backup create|verify|restore`` through ``main``, on a temporary box: a database,
its key directory and the broker's password and ACL files named in the config; the archives are
sealed with the box's backup key (``lib/backup.key``, beside the database)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.crypto import open_file, seal_file
from compound.app.cli import main
from compound.domain.clock import SystemClock
from compound.store.backup import integrity_check
from compound.store.db import Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    rc = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if rc == 0 else None), err.strip()


def unseal(box: Path, archive: Path, dest: Path) -> Path:
    """The plain tar.gz inside a sealed archive, opened with the box's backup key."""
    open_file((box / "lib/backup.key").read_bytes(), archive, dest)
    return dest


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_store(box: Path) -> Store:
    return Store(box / "lib/compound.db", SystemClock(), box / "lib/keys")


@pytest.fixture
def writer(box: Path) -> Iterator[tuple[threading.Event, list[int]]]:
    """A thread that commits one logged change after another until told to stop."""
    stop, committed = threading.Event(), [0]
    store = open_store(box)

    def write() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            store.add_unit(f"{9 + n // 8000}-1-{1000 + n % 8000}")
            committed[0] = n

    t = threading.Thread(target=write)
    t.start()
    yield stop, committed
    stop.set()
    t.join(10)
    store.close()


def test_a_backup_taken_while_the_database_is_written_is_consistent(
    box: Path, writer: tuple[threading.Event, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    stop, committed = writer
    deadline = time.monotonic() + 30
    while committed[0] < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    before = committed[0]
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    during = committed[0]
    stop.set()
    assert during > before, "the writer went on during the backup"
    archive = Path(made["archive"])
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert archive.name.startswith("compound-t1-") and archive.name.endswith(".tar.gz.sealed")
    assert not tarfile.is_tarfile(archive), "the archive is encrypted at rest"
    assert set(made["files"]) >= {"compound.db", "keys/master.key", "mosquitto/passwd"}
    assert made["files"]["mosquitto/acl"]["sha256"] == sha(box / "mosquitto/acl")

    rc, checked, err = run(capsys, "backup", "verify", str(archive))
    assert rc == 0, err
    # init logs too; every unit committed before the backup began is in it
    assert checked["events"] >= before

    with tarfile.open(unseal(box, archive, box / "plain.tar.gz")) as tar:
        tar.extract("compound.db", box / "x", filter="data")
    assert integrity_check(box / "x/compound.db") == "ok"
    copy = Store(box / "x/compound.db", SystemClock(), box / "lib/keys")
    try:
        assert copy.verify_log().ok
        units = {r["n"] for r in copy.query("SELECT count(*) AS n FROM units")}
        assert units and min(units) >= before
    finally:
        copy.close()


def test_restore_round_trip(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unit", "add", "1-1-1101"]) == 0
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    key = (box / "lib/keys/master.key").read_bytes()
    # After the backup: another unit, a changed broker file, a lost key.
    assert main(["unit", "add", "2-1-1202"]) == 0
    (box / "mosquitto/passwd").write_text("intruder:x\n")
    (box / "lib/keys/master.key").unlink()

    rc, restored, err = run(capsys, "backup", "restore", made["archive"])
    assert rc == 0, err
    assert (box / "mosquitto/passwd").read_text() == "core:$7$hash\n"
    assert (box / "lib/keys/master.key").read_bytes() == key
    assert stat.S_IMODE((box / "lib/keys/master.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((box / "lib/compound.db").stat().st_mode) == 0o600
    rc, units, err = run(capsys, "unit", "list")
    assert [u["address"] for u in units] == ["1-1-1101"], units
    rc, log, err = run(capsys, "log", "verify")
    assert rc == 0 and log["ok"]
    # The database it replaced is kept beside it.
    kept = list((box / "lib").glob("compound.db.before-restore-*"))
    assert [p for p in kept if not p.name.endswith(("-wal", "-shm"))]
    assert not list(box.rglob(".*.restore-*")), "no staged file left behind"


def test_restore_keeps_the_keys_of_the_database_it_replaces(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The replaced database was kept, but the master and ID keys it was sealed with were
    overwritten by the archive's: its ID numbers and PINs could no longer be read."""
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    # Since the backup, the box got keys of its own (a reinstall) and registered someone.
    for p in [box / "lib/keys", *box.glob("lib/compound.db*")]:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    assert main(["init", "--site", "t1"]) == 0
    store = open_store(box)
    try:
        store.add_unit("1-1-101")
        who = store.add_person("李四", "1-1-101", "tenant", id_number="110101199001011234")
    finally:
        store.close()
    keys = {p.name: p.read_bytes() for p in (box / "lib/keys").iterdir()}
    assert {"master.key", "id.key"} <= set(keys)
    old = os.umask(0o022)  # a shell's: what is kept must still be the service's alone
    try:
        rc, restored, err = run(capsys, "backup", "restore", made["archive"])
    finally:
        os.umask(old)
    assert rc == 0, err
    kept_db, kept_keys = Path(restored["kept"]["database"]), Path(restored["kept"]["keys"])
    assert kept_db.parent == box / "lib" and kept_db.name.startswith("compound.db.before-restore-")
    assert kept_keys.name == "keys" + kept_db.name.removeprefix("compound.db")
    assert kept_keys.parent == box / "lib"
    assert stat.S_IMODE(kept_keys.stat().st_mode) == 0o700
    assert {p.name: p.read_bytes() for p in kept_keys.iterdir()} == keys
    assert {stat.S_IMODE(p.stat().st_mode) for p in kept_keys.iterdir()} == {0o600}
    assert (box / "lib/keys/master.key").read_bytes() != keys["master.key"], "restored"
    aside = Store(kept_db, SystemClock(), kept_keys)
    try:
        assert aside.person(who).id_number == "110101199001011234"
    finally:
        aside.close()

    capsys.readouterr()
    assert main(["backup", "restore", made["archive"]]) == 0  # again, within the same second
    out = capsys.readouterr().out
    again = [w.rstrip(",;.") for w in out.split() if ".before-restore-" in w]
    assert len(again) == 2 and str(kept_db) not in again and str(kept_keys) not in again, out
    assert Path(again[0]).is_file() and Path(again[1]).is_dir()


def test_restore_refuses_while_a_process_has_the_database_open(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; f = open(sys.argv[1], 'rb'); "
         "print('open', flush=True); time.sleep(60)", str(box / "lib/compound.db")],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        before = sha(box / "lib/compound.db")
        rc, _, err = run(capsys, "backup", "restore", made["archive"])
        assert rc == 2 and f"is open in {holder.pid}" in err and "--force" in err, err
        assert sha(box / "lib/compound.db") == before
        rc, _, err = run(capsys, "backup", "restore", made["archive"], "--force")
        assert rc == 0, err
    finally:
        holder.kill()
        holder.wait()


def corrupt_bytes(archive: Path) -> None:
    data = bytearray(archive.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 64):
        data[i] ^= 0x5A
    archive.write_bytes(bytes(data))


def swap_database(archive: Path) -> None:
    """A well-formed archive, sealed with the right key, whose database is not the one its
    manifest sums (someone holding the key changed it)."""
    key = (archive.parent.parent / "lib/backup.key").read_bytes()
    plain = archive.with_name("plain.tar.gz")
    open_file(key, archive, plain)
    with tarfile.open(plain) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]
    with tarfile.open(plain, "w:gz") as tar:
        for m, data in members:
            if m.name == "compound.db":
                data = data[:-10] + b"\x01" * 10
            m.size = len(data)
            tar.addfile(m, io.BytesIO(data))
    archive.unlink()
    seal_file(key, plain, archive)
    plain.unlink()


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (corrupt_bytes, "it does not decrypt: chunk 0 is damaged"),
        (swap_database, "compound.db does not match its sha256"),
    ],
)
def test_a_damaged_archive_is_refused_and_nothing_changes(
    box: Path, capsys: pytest.CaptureFixture[str], damage: Any, said: str
) -> None:
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    archive = Path(made["archive"])
    damage(archive)
    assert main(["unit", "add", "2-1-1202"]) == 0
    (box / "mosquitto/passwd").write_text("changed\n")
    files = [box / "lib/compound.db", box / "lib/keys/master.key", box / "mosquitto/passwd"]
    before = {p: sha(p) for p in files}
    listing = sorted(box.rglob("*"))
    for action in ("verify", "restore"):
        rc, _, err = run(capsys, "backup", action, str(archive))
        assert rc == 2, (action, err)
        assert err.startswith(f"compound: backup {archive} refused: ") and said in err, err
        assert len(err.splitlines()) == 1
    assert {p: sha(p) for p in files} == before
    assert sorted(box.rglob("*")) == listing


def test_a_restore_that_cannot_put_a_file_in_place_leaves_nothing_staged(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The broker's folder is a file: the restore stops before it replaces anything, and the
    copies it had staged beside their targets (the keys among them) are gone with it."""
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    config = box / "compound.toml"
    config.write_text(config.read_text().replace(str(box / "mosquitto/acl"), str(box / "f/acl")))
    (box / "f").write_text("")
    files = [box / "lib/compound.db", box / "lib/keys/master.key", box / "mosquitto/passwd"]
    before = {p: sha(p) for p in files}
    listing = sorted(box.rglob("*"))
    rc, _, err = run(capsys, "backup", "restore", made["archive"])
    assert rc == 1 and str(box / "f") in err and len(err.splitlines()) == 1, err
    assert {p: sha(p) for p in files} == before
    assert sorted(box.rglob("*")) == listing
