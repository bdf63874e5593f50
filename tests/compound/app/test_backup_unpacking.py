"""Where ``compound backup verify`` and ``restore`` open an archive: a private folder (0700)
beside the database, removed afterwards, on a refusal or Ctrl-C too; never the system's
temporary folder, which on Debian 13 is a tmpfs (a large compound's database filled the
memory) that every user shares (the database and the keys passed through it in the clear)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compound.app import backup_cli
from compound.app.cli import main


def archive_of(box: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    capsys.readouterr()
    assert main(["backup", "create", str(box / "backups")]) == 0
    made = sorted((box / "backups").iterdir())
    assert len(made) == 1
    return made[0]


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def spy_on_check(monkeypatch: pytest.MonkeyPatch, then: Callable[[Path], None]) -> None:
    real = backup_cli.check

    def check(ctx: Any, archive: Path, work: Path) -> Any:
        then(work)
        return real(ctx, archive, work)

    monkeypatch.setattr(backup_cli, "check", check)


def test_the_archive_is_opened_in_a_private_folder_beside_the_database(
    box: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = archive_of(box, capsys)
    seen: list[tuple[Path, int]] = []
    spy_on_check(monkeypatch, lambda work: seen.append((work, stat.S_IMODE(work.stat().st_mode))))
    lib = box / "lib"
    before = listing(lib)
    assert main(["backup", "verify", str(archive)]) == 0
    assert listing(lib) == before, "verify leaves nothing behind"

    assert main(["backup", "restore", str(archive)]) == 0
    after = listing(lib)
    assert {n for n in after - before if ".before-restore-" not in n} == set(), after - before
    assert len(seen) == 2
    for work, mode in seen:
        assert work.parent == lib and mode == 0o700, (work, oct(mode))
        assert not work.exists()


def test_nothing_passes_through_the_system_temporary_folder(
    box: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real command with TMPDIR on a folder of the test's: a file made there and removed
    again still changes the folder's modification time, which the test set far in the past."""
    archive = archive_of(box, capsys)
    watched = tmp_path / "system-tmp"
    watched.mkdir()
    os.utime(watched, (1_000_000, 1_000_000))
    env = {**os.environ, "TMPDIR": str(watched)}
    for action in ("verify", "restore"):
        r = subprocess.run(
            [sys.executable, "-m", "compound.app.cli", "backup", action, str(archive)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        assert watched.stat().st_mtime == 1_000_000, f"{action} wrote under TMPDIR"
    assert list(watched.iterdir()) == []


def test_a_refused_or_interrupted_check_leaves_nothing_behind(
    box: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = archive_of(box, capsys)
    lib = box / "lib"
    before = listing(lib)
    db = (lib / "compound.db").read_bytes()
    damaged = box / "backups/damaged.tar.gz.sealed"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    for action in ("verify", "restore"):
        capsys.readouterr()
        assert main(["backup", action, str(damaged)]) == 2
        assert "refused" in capsys.readouterr().err
        assert listing(lib) == before

    # Ctrl-C with everything unpacked, while the database is checked.
    def interrupted(path: Path) -> str:
        assert listing(path.parent) >= {"compound.db", "keys/master.key"}
        raise KeyboardInterrupt

    monkeypatch.setattr(backup_cli, "integrity_check", interrupted)
    for action in ("verify", "restore"):
        capsys.readouterr()
        assert main(["backup", action, str(archive)]) == 130
        assert capsys.readouterr().err.strip() == "compound: interrupted"
        assert listing(lib) == before
    assert (lib / "compound.db").read_bytes() == db


def test_an_unpacking_folder_a_killed_run_left_is_removed_by_the_next(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Killed outright (SIGKILL, a power cut), a run leaves the database and the keys in the
    clear beside the database; the next run removes them at once, its maker being gone."""
    archive = archive_of(box, capsys)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    left = box / f"lib/.compound-unpack-{int(ended.stdout)}-abcd"
    (left / "keys").mkdir(parents=True)
    (left / "keys/master.key").write_bytes(b"k" * 32)
    alive = box / f"lib/.compound-unpack-{os.getppid()}-abcd"  # a running process's: kept
    alive.mkdir()
    # a running process's too, but two days old: its number was taken again since
    reused = box / f"lib/.compound-unpack-{os.getppid()}-efgh"
    reused.mkdir()
    os.utime(reused, (time.time() - 2 * 86400,) * 2)
    assert main(["backup", "verify", str(archive)]) == 0
    assert not left.exists() and not reused.exists()
    assert alive.exists()
