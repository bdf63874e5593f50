"""SIGTERM (systemd stopping a unit, ``kill``) during ``compound backup``: it ended the process
on the spot, so the archive's database and keys stayed in the clear in verify's and restore's
unpacking folder (create's staging folder: the database and the unsealed archive) until a later
run, and a restore stopped while it put the files in place left the archive's keys beside the
old database, which they do not open. Now the folder is removed, the box's files are the old
ones or the archive's, all of them, and the command says so in one line and ends with 143.

Not left to chance: the real command is started with a ``sitecustomize`` on its path that holds
one call (chosen per case), says so on stderr and waits for a line on its standard input; the
SIGTERM is sent only once that is read, then the line is written."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from compound.adapters.crypto import open_file
from compound.app.cli import main
from tests.compound.app.hooked import hooked_env

HOLD = '''
import importlib.util, os, sys


class Hold:
    """Wraps $HOLD_AT (module:function) as its module is imported: its first call whose first
    argument ends with $HOLD_ARG says so on stderr and waits for a line on standard input."""

    def find_spec(self, name, path=None, target=None):
        module, attr = os.environ["HOLD_AT"].split(":")
        if name != module:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(m):
            run(m)
            real, held = getattr(m, attr), []

            def hold(*args, **kw):
                if not held and str(args[0]).endswith(os.environ["HOLD_ARG"]):
                    held.append(1)
                    os.write(2, f"holding {attr}\\n".encode())
                    os.read(0, 1)
                return real(*args, **kw)

            setattr(m, attr, hold)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, Hold())
'''

WHERE = {"compound.db": "lib/compound.db", "keys/": "lib/keys/", "secrets/": "secrets/",
         "mosquitto/": "mosquitto/"}  # fmt: skip


def state(box: Path) -> dict[str, str]:
    """Every file of the box a restore replaces or stages beside, hidden ones too, and its sum;
    what is kept aside under ``.before-restore-`` is not the box's live state."""
    return {
        str(p.relative_to(box)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in ("lib", "secrets", "mosquitto")
        for p in (box / folder).rglob("*")
        if p.is_file() and ".before-restore-" not in str(p)
    }


def archived(box: Path, archive: Path, tmp: Path) -> dict[str, str]:
    """The files of ``archive`` where a restore puts them, and their sums."""
    open_file((box / "lib/backup.key").read_bytes(), archive, tmp / "plain.tar.gz")
    files = {}
    with tarfile.open(tmp / "plain.tar.gz") as tar:
        for m in tar:
            src = tar.extractfile(m)
            if m.name == "manifest.json" or src is None:
                continue
            prefix = next(k for k in WHERE if m.name.startswith(k))
            files[WHERE[prefix] + m.name.removeprefix(prefix)] = hashlib.sha256(
                src.read()
            ).hexdigest()
    return files


def held_then_terminated(
    tmp_path: Path,
    argv: list[str],
    hold_at: str,
    hold_arg: str = "",
    sig: signal.Signals = signal.SIGTERM,
) -> tuple[int, str, str]:
    env = hooked_env(tmp_path, HOLD, HOLD_AT=hold_at, HOLD_ARG=hold_arg)
    proc = subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "backup", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line == f"holding {hold_at.split(':')[1]}\n", line + proc.stderr.read()
        proc.send_signal(sig)
        out, err = proc.communicate("go\n", timeout=120)
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode, out, err


@pytest.fixture
def archive(box: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    capsys.readouterr()
    assert main(["backup", "create", str(box / "backups")]) == 0
    [made] = (box / "backups").iterdir()
    return made


def said(err: str) -> str:
    """The one line the command ended with; no traceback."""
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err.strip()


def unpacking_left(box: Path) -> list[Path]:
    return [*box.rglob(".compound-unpack-*"), *box.rglob(".compound-backup-*")]


def test_verify_terminated_with_the_archive_unpacked(
    box: Path, archive: Path, tmp_path: Path
) -> None:
    before = state(box)
    rc, out, err = held_then_terminated(
        tmp_path, ["verify", str(archive)], "compound.app.backup_cli:integrity_check"
    )
    assert unpacking_left(box) == []
    assert state(box) == before
    assert (rc, out) == (143, "")
    assert said(err) == (
        "compound: terminated before the backup was verified; "
        "the archive's unpacked copy is removed"
    )


def reinstalled(box: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Since the backup, the box got keys and a database of its own, and a broker ACL."""
    for p in [box / "lib/keys", *box.glob("lib/compound.db*")]:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    assert main(["init", "--site", "t1"]) == 0
    (box / "mosquitto/acl").write_text("user core\ntopic read compound/#\n")
    capsys.readouterr()


def test_restore_terminated_while_it_checks_changes_nothing(
    box: Path, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reinstalled(box, capsys)
    before = state(box)
    rc, out, err = held_then_terminated(
        tmp_path, ["restore", str(archive)], "compound.app.backup_cli:integrity_check"
    )
    assert unpacking_left(box) == []
    assert state(box) == before
    assert not list(box.rglob("*.before-restore-*"))
    assert (rc, out) == (143, "")
    assert said(err) == (
        "compound: terminated before anything was restored; the archive's unpacked copy is removed"
    )


@pytest.mark.parametrize(
    ("sig", "rc_said"),
    [
        (signal.SIGTERM, (143, "compound: terminated")),
        # Ctrl-C: it was held as well, then said "interrupted" alone, as if nothing was restored.
        (signal.SIGINT, (130, "compound: interrupted")),
    ],
)
def test_restore_stopped_while_it_puts_the_files_in_place_finishes_first(
    box: Path,
    archive: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sig: signal.Signals,
    rc_said: tuple[int, str],
) -> None:
    """Held right after the first of the archive's keys was renamed over the box's, with the
    database still the old one: the restore runs to its end and then stops. (Stopping with the
    old files back in place would be as whole; half of each is not.)"""
    reinstalled(box, capsys)
    old = state(box)
    new = {"lib/backup.key": old["lib/backup.key"], **archived(box, archive, tmp_path)}
    assert old["lib/compound.db"] != new["lib/compound.db"]
    assert old["lib/keys/master.key"] != new["lib/keys/master.key"]
    rc, out, err = held_then_terminated(
        tmp_path,
        ["restore", str(archive)],
        "compound.app.backup_files:fsync_dir",
        hold_arg=f"{os.sep}lib{os.sep}keys",
        sig=sig,
    )
    assert unpacking_left(box) == []
    assert state(box) == new
    assert [p.name for p in box.glob("lib/compound.db.before-restore-*")], "the old one, kept"
    status, stopped = rc_said
    assert (rc, out) == (status, "")
    assert said(err) == (
        f"{stopped} once the restore was complete; the archive's unpacked copy is removed"
    )


def test_create_terminated_with_its_plain_copies_made(box: Path, tmp_path: Path) -> None:
    folder = box / "backups"
    rc, out, err = held_then_terminated(
        tmp_path, ["create", str(folder)], "compound.app.backup_files:seal_as"
    )
    assert unpacking_left(box) == []
    assert not folder.exists() or list(folder.iterdir()) == [], "no archive, whole or part"
    assert (rc, out) == (143, "")
    assert said(err) == "compound: terminated before the backup was made; its copies are removed"
