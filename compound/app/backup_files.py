"""The files of ``compound backup``: where the archives and the key are, how many archives are
kept, and what a restore checks and stages before it puts a file in place.

An archive is sealed (``compound.adapters.crypto.seal_file``) with the box's backup key: 32
random bytes in their own 0600 file, ``[backup] key_file`` (``/etc/compound/backup.key`` on a
box installed from the package), made by ``compound setup``. The key is never put into an
archive: an archive that leaves the box (a USB stick, a colleague's laptop) is useless without
it, and the installer keeps a copy of the key somewhere other than the box, which is what lets a
new box restore the old one's backup.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from compound.adapters import keys
from compound.adapters.crypto import seal_file
from compound.app.context import Context
from compound.domain.model import InvalidInput

SUFFIX = ".tar.gz.sealed"
ARCHIVE_RE = re.compile(r"^compound-(?P<site>[A-Za-z0-9_-]+)-\d{8}T\d{6}Z\.tar\.gz\.sealed$")


def archive_dir(ctx: Context) -> Path:
    return Path(ctx.config.backup.dir or Path(ctx.db_path).parent / "backups")


def key_path(ctx: Context) -> Path:
    given = getattr(ctx.args, "key", None)
    return Path(given or ctx.config.backup.key_file or Path(ctx.db_path).parent / "backup.key")


def make_key(path: Path) -> bytes:
    """The backup key at ``path``, created (0600) if there is none yet."""
    try:
        return keys.load_or_create(path)
    except keys.KeyError_ as e:
        raise InvalidInput(str(e)) from None


def read_key(path: Path) -> bytes:
    """The backup key at ``path``; never made here: a new key opens no old archive."""
    if not path.is_file():
        raise InvalidInput(
            f"no backup key at {path}: an archive opens only with the key it was made with; "
            "put the copy you kept there (0600) or name it with --key FILE"
        )
    return make_key(path)


def prune(folder: Path, site: str, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest archives of ``site`` in ``folder``; the deleted."""
    mine = sorted(
        (p for p in folder.iterdir() if (m := ARCHIVE_RE.match(p.name)) and m["site"] == site),
        key=lambda p: p.name,
    )
    gone = mine[: max(0, len(mine) - keep)]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


# -- making --------------------------------------------------------------------------------

STAGING = ".compound-backup-"  # a backup's plain copies, beside the database
STALE_S = 86400.0  # no backup runs a day: a staging folder that old was left by a killed one


def staging_folder(folder: Path) -> Path:
    """``folder``, rid of the staging folders that backups killed outright left in it."""
    for old in folder.glob(STAGING + "*"):
        try:
            if old.is_dir() and old.stat().st_mtime < time.time() - STALE_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    return folder


def seal_as(key: bytes, plain: Path, final: Path) -> None:
    """Seal ``plain`` into ``final``, written under a hidden name beside it and then renamed: a
    run cut short leaves no half archive under an archive's name, and nothing unsealed."""
    part = final.with_name(f".{final.name}.part")
    try:
        seal_file(key, plain, part)
        os.replace(part, final)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


# -- SIGTERM -----------------------------------------------------------------------------


class Terminated(BaseException):
    """SIGTERM (systemd stopping a unit, ``kill``) in a backup command: by default it ended the
    process on the spot, leaving the database and the keys in the clear in the command's private
    folder until a later run. Raised instead, it unwinds the command as Ctrl-C does, each
    ``with`` and ``finally`` removing what it made. Not an ``Exception``: nothing that handles
    an error takes it for one. Its text, if any, says how far the command got."""


def _terminate(signum: int, frame: object) -> None:
    # Once: a second SIGTERM must not cut short the removal the first one started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


@contextmanager
def terminable() -> Iterator[None]:
    """SIGTERM raised as ``Terminated`` in the block (the main thread's)."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """SIGTERM and Ctrl-C held until the block has run to its end, then delivered: the files a
    restore puts in place one after another are all put there (stopped half-way, it left the
    archive's keys beside the database they do not open). A block that fails drops them: its
    error ends the command anyway."""
    held: list[int] = []
    caught = (signal.SIGTERM, signal.SIGINT)
    previous = {s: signal.signal(s, lambda n, _f: held.append(n)) for s in caught}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    for n in dict.fromkeys(held):
        signal.raise_signal(n)


# -- restoring ---------------------------------------------------------------------------


def sha256(path: Path) -> str:
    """The sha256 of the file at ``path``, read a MiB at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def unpack(src: IO[bytes], dest: Path) -> str:
    """Write ``src`` to a new 0600 file ``dest``; its sha256."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while block := src.read(1 << 20):
            h.update(block)
            out.write(block)
    return h.hexdigest()


UNPACKING = ".compound-unpack-"  # + "<pid>-": where verify and restore open an archive


def _gone(folder: Path) -> bool:
    """Whether the process that made the unpacking folder ``folder`` has ended."""
    pid = folder.name.removeprefix(UNPACKING).split("-", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass  # alive, another user's
    return False


@contextmanager
def unpacking_folder(near: Path) -> Iterator[Path]:
    """A new private folder (0700) in ``near`` to open an archive in, removed with everything
    in it afterwards, on a refusal or Ctrl-C too.

    Never the system's temporary folder: on Debian 13 that is a tmpfs, so a large compound's
    database filled the memory, and the decrypted personal data passed through a folder every
    user shares. An unpacking folder left by a killed run is removed by the next run at once
    (its process is gone, or its number was taken again a day later): it holds the database
    and the keys in the clear."""
    for old in near.glob(UNPACKING + "*"):
        try:
            if old.is_dir() and (_gone(old) or old.stat().st_mtime < time.time() - STALE_S):
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    # mkdtemp makes it 0700 whatever the umask; its name says whose it is.
    with tempfile.TemporaryDirectory(prefix=f"{UNPACKING}{os.getpid()}-", dir=near) as tmp:
        yield Path(tmp)


def holders(path: Path) -> list[str]:
    """Other processes that have the file at ``path`` open: ``"PID (command)"``."""
    found: list[str] = []
    want = {str(path.resolve())}
    want |= {w + "-wal" for w in want}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            fds = list((proc / "fd").iterdir())
            if not any(os.readlink(fd) in want for fd in fds):
                continue
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        found.append(f"{proc.name} ({cmd[:80]})")
    return found


def _owner_like(path: Path) -> tuple[int, int]:
    ref = path if path.exists() else path.parent
    st = ref.stat()
    return st.st_uid, st.st_gid


def stage(src: Path, target: Path, mode: int) -> Path:
    """A copy of ``src`` beside ``target``, fsync'd, owned like what it replaces."""
    # A new key or database folder is the service's alone; the broker's must stay readable.
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o750 if mode == 0o640 else 0o700)
    staged = target.with_name(f".{target.name}.restore-{os.getpid()}")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            shutil.copyfileobj(f, out)
            out.flush()
            os.fsync(out.fileno())
        uid, gid = _owner_like(target)
        if os.geteuid() == 0:
            os.chown(staged, uid, gid)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def stage_all(files: dict[str, tuple[Path, Path, int]]) -> dict[str, Path]:
    """``stage`` each ``name: (source, target, mode)``; if one cannot be, none stays staged (a
    refused restore leaves no copy of a key or a password beside its target)."""
    staged: dict[str, Path] = {}
    try:
        for name, (src, target, mode) in files.items():
            staged[name] = stage(src, target, mode)
    except BaseException:
        for path in staged.values():
            path.unlink(missing_ok=True)
        raise
    return staged


ASIDE = ".before-restore-"  # what a restore replaces is kept as <name>.before-restore-<time>


def aside_stamp(*targets: Path) -> str:
    """The time stamp under which none of ``targets`` is kept aside yet: a second restore in
    the same second found its database's name taken after the keys were already replaced."""
    base = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    stamp, n = base, 1
    while any(t.with_name(f"{t.name}{ASIDE}{stamp}").exists() for t in targets):
        stamp, n = f"{base}-{n}", n + 1
    return stamp


def keep_keys(key_dir: Path, stamp: str) -> Path | None:
    """A copy of the key directory as ``<key_dir>.before-restore-<stamp>`` (0700, each key
    0600, owned like the originals): the database kept aside is sealed with these keys (ID
    numbers, PINs, faces), and the restore overwrites them. None when there is no key."""
    old = [p for p in sorted(key_dir.glob("[!.]*")) if p.is_file()] if key_dir.is_dir() else []
    if not old:
        return None
    aside = key_dir.with_name(f"{key_dir.name}{ASIDE}{stamp}")
    aside.mkdir(mode=0o700)
    try:
        os.chmod(aside, 0o700)  # whatever the umask
        for key in old:
            os.replace(stage(key, aside / key.name, 0o600), aside / key.name)
            if os.geteuid() == 0:
                os.chown(aside / key.name, *_owner_like(key))
        if os.geteuid() == 0:
            os.chown(aside, *_owner_like(key_dir))
        fsync_dir(aside)
        fsync_dir(aside.parent)
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    return aside


def put(staged: Path, target: Path, aside: Path | None = None) -> bool:
    """Rename ``staged`` over ``target`` durably; whether the file it replaced is kept as
    ``aside`` (given for the database: with its WAL and head file)."""
    if aside is not None and target.exists():
        os.link(target, aside)  # the replaced database stays, under another name
        # An old WAL must never be applied to the new file; the head file signs the replaced
        # database's newest event, so it stays with that database.
        for suffix in ("-wal", "-shm", ".head"):
            old = target.with_name(target.name + suffix)
            if old.exists():
                os.replace(old, aside.with_name(aside.name + suffix))
        kept = True
    else:
        kept = False
    os.replace(staged, target)
    fsync_dir(target.parent)
    return kept


def fsync_dir(path: Path) -> None:
    """Make a folder's new and renamed names durable."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass  # some file systems cannot sync a directory
