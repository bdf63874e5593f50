"""``compound backup create|verify|restore``: the database, the keys and the broker's files.

An archive is a gzip'd tar sealed with the box's backup key (``backup_files``: AES-256-GCM in
authenticated chunks; the key is never inside), 0600, named
``compound-<site>-<UTC time>.tar.gz.sealed``, holding:

- ``compound.db``: a consistent copy of the live database (SQLite's online backup API, taken
  while the core writes; ``compound.store.backup``);
- ``keys/*``: the key directory (master key, door command keys);
- ``secrets/*.mqtt``: the broker passwords of the box's own services (the folder of
  ``[broker] password_file``), which match the hashes in the database and the broker's files;
- ``mosquitto/passwd`` and ``mosquitto/acl``: the broker files named in ``[security]``;
- ``manifest.json``: the site, the time, and each file's size and sha256.

``create --prune`` then keeps the ``[backup] keep`` newest of the site's archives (the nightly
``compound-backup.timer``). ``verify`` decrypts (refusing an archive the key does not open, or
one changed or cut short by even a byte), then checks every sum, the database's integrity and
its event log's hash chain, in a private folder beside the database, reading the database
without migrating it (the archive taken before an upgrade whose migration failed restores with
the new version; one from a newer version is refused). ``restore`` does the same first and
changes nothing unless all of it passes; it refuses while a process (the core) has the database
open, unless ``--force``, and a backup of another site's database. Each file is then written
beside its target, fsync'd and renamed over it; the database it replaces is kept beside it as
``<db>.before-restore-<time>``, and the keys it is sealed with as ``<keys>.before-restore-<time>``.
A SIGTERM ends each command as Ctrl-C does, its plain copies removed (exit 143); one that comes
while restore puts the files in place is held until all of them are there.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compound.adapters.crypto import SealError, open_file
from compound.app import backup_files
from compound.app.context import Context
from compound.domain.model import InvalidInput
from compound.store.backup import copy_database, integrity_check, read_only_check, site_of
from compound.store.base import StoreError

FORMAT = "compound-backup/1"
MAX_KEEP = 1000  # as [backup] keep
DB = "compound.db"
MANIFEST = "manifest.json"
NAME_RE = re.compile(
    r"^(compound\.db|keys/[A-Za-z0-9._-]+|secrets/[A-Za-z0-9._-]+\.mqtt|mosquitto/(passwd|acl))$"
)


@dataclass
class Checked:
    """A verified archive, unpacked in ``root``."""

    root: Path
    manifest: dict[str, Any]
    events: int
    schema: int = 0  # the number of the database's newest migration


def targets(ctx: Context) -> dict[str, Path]:
    """Where each kind of file of an archive lives on this box (from the config)."""
    db = Path(ctx.db_path)
    key_dir = Path(ctx.config.store.key_dir or db.parent / "keys")
    password_file = ctx.config.broker.password_file
    return {
        DB: db,
        "keys/": key_dir,
        "secrets/": Path(password_file).parent if password_file else Path(),
        "mosquitto/passwd": Path(ctx.config.security.password_file),
        "mosquitto/acl": Path(ctx.config.security.acl_file),
    }


def target_of(name: str, where: dict[str, Path]) -> Path:
    for folder in ("keys/", "secrets/"):
        if name.startswith(folder):
            return where[folder] / name.removeprefix(folder)
    return where[name]


# -- create ------------------------------------------------------------------------------


def create(ctx: Context, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    where = targets(ctx)
    key = backup_files.make_key(backup_files.key_path(ctx))
    out_dir.mkdir(parents=True, exist_ok=True)
    # The plain copies are made beside the database, on the box: never in the archive's folder
    # (a USB stick perhaps), where a backup stopped half-way left them in the clear.
    staging = backup_files.staging_folder(where[DB].parent)
    with tempfile.TemporaryDirectory(prefix=backup_files.STAGING, dir=staging) as tmp:
        work = Path(tmp)
        files: dict[str, Path] = {DB: work / DB}
        copy_database(where[DB], files[DB])  # first: the database as of this moment
        key_dir = where["keys/"]
        if key_dir.is_dir():
            for k in sorted(key_dir.iterdir()):
                if k.is_file() and NAME_RE.match(f"keys/{k.name}"):
                    files[f"keys/{k.name}"] = k
        if ctx.config.broker.password_file:
            for s in sorted(where["secrets/"].glob("*.mqtt")):
                if s.is_file() and NAME_RE.match(f"secrets/{s.name}"):
                    files[f"secrets/{s.name}"] = s
        for name in ("mosquitto/passwd", "mosquitto/acl"):
            if where[name].is_file():
                files[name] = where[name]
        site = site_of(files[DB]) or ctx.config.site.id
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        manifest = {
            "format": FORMAT,
            "site": site,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": {
                name: {"sha256": backup_files.sha256(p), "size": p.stat().st_size,
                       "from": str(where[DB] if name == DB else p)}
                for name, p in files.items()
            },
        }  # fmt: skip
        final = out_dir / f"compound-{site}-{stamp}{backup_files.SUFFIX}"
        if final.exists():
            raise InvalidInput(f"{final} exists already; wait a second and try again")
        part = work / "archive.part"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(data))
            for name, p in files.items():
                ti = tar.gettarinfo(str(p), arcname=name)
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                with open(p, "rb") as f:
                    tar.addfile(ti, f)
        backup_files.seal_as(key, part, final)
        backup_files.fsync_dir(out_dir)
    return final, manifest


# -- verify ------------------------------------------------------------------------------


def check(ctx: Context, archive: Path, work: Path) -> Checked:
    """Unpack ``archive`` into ``work`` and check all of it; ``InvalidInput`` saying what is
    wrong otherwise. Nothing outside ``work`` is touched."""

    def bad(why: str) -> InvalidInput:
        return InvalidInput(f"backup {archive} refused: {why}")

    if not archive.is_file():
        raise InvalidInput(f"no backup at {archive}")
    key_file = backup_files.key_path(ctx)
    key = backup_files.read_key(key_file)
    plain = work / ".archive.tar.gz"
    try:
        open_file(key, archive, plain)
    except SealError as e:
        raise bad(f"it cannot be decrypted with the key {key_file}: {e}") from None
    sums: dict[str, str] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(plain, mode="r:gz") as tar:
            for m in tar:
                if not m.isfile():
                    raise bad(f"{m.name!r} is not a plain file")
                if m.name != MANIFEST and not NAME_RE.match(m.name):
                    raise bad(f"unexpected member {m.name!r}")
                src = tar.extractfile(m)
                if src is None:
                    raise bad(f"{m.name!r} cannot be read")
                if m.name == MANIFEST:
                    manifest = json.loads(src.read(1 << 20))
                    continue
                if m.name in sums:
                    raise bad(f"{m.name!r} is in it twice")
                sums[m.name] = backup_files.unpack(src, work / m.name)
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as e:
        raise bad(f"it is damaged or not a backup archive ({e})") from None
    finally:
        plain.unlink(missing_ok=True)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise bad("no compound backup manifest in it")
    listed: dict[str, Any] = manifest.get("files") or {}
    for name, info in listed.items():
        if name not in sums:
            raise bad(f"{name} is listed in the manifest but missing")
        if sums[name] != info.get("sha256"):
            raise bad(f"{name} does not match its sha256 in the manifest (damaged)")
    extra = set(sums) - set(listed)
    if extra:
        raise bad(f"{', '.join(sorted(extra))} not in the manifest")
    if DB not in sums:
        raise bad("it holds no database")
    result = integrity_check(work / DB)
    if result != "ok":
        raise bad(f"the database fails its integrity check: {result}")
    # The schema version and the log chain, read-only: opening a Store would migrate the
    # archive's database with this version's migrations (and one that fails would refuse it).
    try:
        copy = read_only_check(work / DB)
    except StoreError as e:
        raise bad(f"the database cannot be opened: {e}") from None
    if copy.unknown:
        raise bad(
            f"its database is from a newer version of compound (migrations {copy.unknown[0]}"
            f"{'...' if len(copy.unknown) > 1 else ''} unknown here); restore it with that "
            "version or a newer one"
        )
    log = copy.log
    if not log.ok:
        raise bad(f"its event log is BROKEN at event {log.first_broken}: {log.problem}")
    return Checked(work, manifest, log.events, copy.migrations)


# -- restore -----------------------------------------------------------------------------


def restore(ctx: Context, checked: Checked, force: bool) -> tuple[list[str], dict[str, str], bool]:
    """Put the archive's files in place; what was put, what was kept aside, whether the broker
    was told to reread its files."""
    from compound.app.devices import reload_broker

    where = targets(ctx)
    db = where[DB]
    if db.exists():
        busy = backup_files.holders(db)
        if busy and not force:
            raise InvalidInput(
                f"the database {db} is open in {', '.join(busy)}; stop the services first "
                "(systemctl stop compound-core compound-face compound-uplink), or give --force"
            )
        here, there = site_of(db), checked.manifest.get("site")
        if here and there and here != there and not force:
            raise InvalidInput(f"this backup is of site {there!r}, this box is site {here!r}")
    names = sorted(checked.manifest["files"], key=lambda n: n == DB)  # the database last
    broker_files = ("mosquitto/passwd", "mosquitto/acl")
    staged = backup_files.stage_all(
        {
            n: (checked.root / n, target_of(n, where), 0o640 if n in broker_files else 0o600)
            for n in names
        }
    )
    complete = False  # a stop held through the block comes when it ends, after the restore
    try:  # from the first file kept aside to the broker's reload, never stopped half-way
        with backup_files.uninterrupted():
            stamp = backup_files.aside_stamp(db, where["keys/"])
            kept: dict[str, str] = {}
            # the keys the replaced database is sealed with, before the archive's replace them
            if any(n.startswith("keys/") for n in names):
                if aside_keys := backup_files.keep_keys(where["keys/"], stamp):
                    kept["keys"] = str(aside_keys)
            done = []
            for n in names:
                target = target_of(n, where)
                aside = target.with_name(f"{target.name}{backup_files.ASIDE}{stamp}")
                if backup_files.put(staged[n], target, aside if n == DB else None):
                    kept["database"] = str(aside)
                done.append(str(target))
            reloaded = any(n in broker_files for n in names) and reload_broker(
                ctx.config.security.broker_pid_file
            )
            complete = True
    except BaseException as e:  # a held stop: the line says the restore is whole
        if complete and isinstance(e, backup_files.Terminated | KeyboardInterrupt):
            raise type(e)(_removed("once the restore was complete")) from None
        for path in staged.values():
            path.unlink(missing_ok=True)
        raise
    return done, kept, reloaded


# -- commands ----------------------------------------------------------------------------


def _terminable(run: Callable[[], int], stopped: str) -> int:
    """``run``, unwound by a SIGTERM as by Ctrl-C (``backup_files.terminable``): one line saying
    how far it got, and 143 (128 + SIGTERM), the status a shell gives a process it ended."""
    try:
        with backup_files.terminable():
            return run()
    except backup_files.Terminated as e:
        print(f"compound: terminated {str(e) or stopped}", file=sys.stderr, flush=True)
        return 143


def cmd_create(ctx: Context) -> int:
    return _terminable(lambda: _create(ctx), "before the backup was made; its copies are removed")


def _create(ctx: Context) -> int:
    a = ctx.args
    if a.keep is not None and not 1 <= a.keep <= MAX_KEEP:
        # Checked first: with 0 or fewer, the prune would take the new archive as well.
        raise InvalidInput(f"--keep is how many archives stay: 1 to {MAX_KEEP}, not {a.keep}")
    folder = Path(a.dir) if a.dir else backup_files.archive_dir(ctx)
    path, manifest = create(ctx, folder)
    files = manifest["files"]
    gone: list[Path] = []
    if a.prune or a.keep is not None:
        gone = backup_files.prune(folder, manifest["site"], a.keep or ctx.config.backup.keep)
    ctx.out(
        {"archive": str(path), "site": manifest["site"], "files": files,
         "size": path.stat().st_size, "pruned": [str(p) for p in gone]},
        f"backup {path}: {len(files)} files ({', '.join(files)}), encrypted with "
        f"{backup_files.key_path(ctx)}" + (f"; {len(gone)} older archive(s) deleted" if gone
                                            else ""),
    )  # fmt: skip
    return 0


def _checked(ctx: Context, then: Callable[[Checked], int]) -> int:
    """``then`` the archive, checked in a private folder beside the database (its disk, not RAM;
    on a new box or a laptop the nearest folder above it that exists), removed afterwards."""
    archive = Path(ctx.args.file)
    folder = targets(ctx)[DB].absolute().parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    with backup_files.unpacking_folder(folder) as work:
        return then(check(ctx, archive, work))


def _removed(stopped: str) -> str:
    return f"{stopped}; the archive's unpacked copy is removed"


def cmd_verify(ctx: Context) -> int:
    def show(c: Checked) -> int:
        m = c.manifest
        ctx.out(
            {"ok": True, "site": m["site"], "created_at": m["created_at"], "events": c.events,
             "files": sorted(m["files"]), "schema": c.schema},
            f"backup intact: site {m['site']}, taken {m['created_at']}, {len(m['files'])} files, "
            f"event log of {c.events} events verified, schema {c.schema}",
        )  # fmt: skip
        return 0

    return _terminable(lambda: _checked(ctx, show), _removed("before the backup was verified"))


def cmd_restore(ctx: Context) -> int:
    def put_back(c: Checked) -> int:
        done, kept, reloaded = restore(ctx, c, ctx.args.force)
        aside = [f"the replaced {k} kept as {v}" for k, v in sorted(kept.items())]
        ctx.out(
            {"restored": done, "events": c.events, "schema": c.schema, "broker_reloaded": reloaded,
             "kept": kept},
            f"restored {len(done)} files from the backup of {c.manifest['created_at']} "
            f"(event log of {c.events} events verified, schema {c.schema}); "
            + "".join(f"{a}; " for a in aside)
            + "start the services again (they bring the database up to this version's schema)",
        )  # fmt: skip
        return 0

    return _terminable(lambda: _checked(ctx, put_back), _removed("before anything was restored"))


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    g = sub.add_parser(
        "backup",
        help="back up, check and restore the box's data",
        description="back up, check and restore the box's data",
    )
    g = g.add_subparsers(dest="action", required=True, metavar="ACTION")
    key_help = "the backup key (default: [backup] key_file)"
    sp = g.add_parser("create", help="a consistent, encrypted backup archive", parents=[common])
    sp.add_argument(
        "dir", nargs="?",
        help="folder for the archive, compound-<site>-<time>.tar.gz.sealed (default: [backup] dir)",
    )  # fmt: skip
    sp.add_argument("--key", help=key_help + "; made if missing")
    sp.add_argument(
        "--prune", action="store_true", help="then keep the [backup] keep newest of this site's"
    )
    sp.add_argument("--keep", type=int, help="with --prune: keep this many instead")
    sp.set_defaults(fn=cmd_create)
    sp = g.add_parser("verify", help="check an archive without restoring it", parents=[common])
    sp.add_argument("file")
    sp.add_argument("--key", help=key_help)
    sp.set_defaults(fn=cmd_verify)
    sp = g.add_parser("restore", help="put an archive's files back", parents=[common])
    sp.add_argument("file")
    sp.add_argument("--key", help=key_help)
    sp.add_argument(
        "--force",
        action="store_true",
        help="even while a process has the database open, or from another site",
    )
    sp.set_defaults(fn=cmd_restore)
