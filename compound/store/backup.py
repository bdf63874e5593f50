"""A consistent copy of the live database, with SQLite's online backup API.

The copy is read through a connection of its own, in one step: in WAL mode that is one read
transaction, so it is the database as of one commit, while the core goes on writing (readers
neither wait for nor hold up the writer). The copy is checked with ``PRAGMA integrity_check``
before it is handed back.

``Backups`` gives the ``Store`` a ``backup_to(path)`` method; the functions work on a path, so
``compound backup`` copies the database of a running core without opening a second ``Store``
on it (which would migrate it and take its keys). ``read_only_check`` likewise checks an
archive's database as it is: restoring the archive taken before an upgrade whose migration
failed must work with the new code, which would otherwise migrate the copy it checks.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from compound.store import migrations
from compound.store.base import StoreError
from compound.store.log import LogCheck, walk_chain


def integrity_check(path: str | Path) -> str:
    """``"ok"`` or what SQLite found wrong with the database file at ``path``."""
    p = Path(path)
    if not p.is_file():
        return f"{p} is missing"
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return f"not a readable database: {e}"
    text = "; ".join(str(r[0]) for r in rows[:5])
    return "ok" if text == "ok" else text


def copy_database(source: str | Path, dest: str | Path) -> None:
    """Copy the database at ``source`` to a new file ``dest`` (0600), consistent as of one
    commit, and check the copy; ``StoreError`` if it cannot be made or does not check out."""
    src_path, dst_path = Path(source), Path(dest)
    if not src_path.is_file():
        raise StoreError(f"no database at {src_path}")
    os.close(os.open(dst_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        src = sqlite3.connect(f"{src_path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)
        dst = sqlite3.connect(str(dst_path))
        try:
            src.execute("PRAGMA busy_timeout = 10000")
            src.backup(dst)  # every page in one step: one read transaction, one snapshot
            # One self-contained file: no -wal beside the copy.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
            src.close()
        fd = os.open(dst_path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except sqlite3.Error as e:
        dst_path.unlink(missing_ok=True)
        raise StoreError(f"cannot copy the database {src_path}: {e}") from None
    result = integrity_check(dst_path)
    if result != "ok":
        dst_path.unlink(missing_ok=True)
        raise StoreError(f"the copy of {src_path} fails its integrity check: {result}")


class Backups:
    """The ``Store``'s part that copies it (``class Store(..., Backups)`` in ``db.py``)."""

    path: Path

    def backup_to(self, dest: str | Path) -> None:
        """A consistent copy of this database at ``dest`` (see ``copy_database``)."""
        copy_database(self.path, dest)


def site_of(path: str | Path) -> str | None:
    """The site id a database file belongs to (its ``site_id`` setting), if it says."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            row = conn.execute("SELECT value FROM settings WHERE key = 'site_id'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


@dataclass(frozen=True)
class CopyCheck:
    """What a database file holds, read without changing it."""

    migrations: int  # the number of its newest migration (0: none recorded)
    unknown: tuple[int, ...]  # migrations it has that this version of compound does not know
    log: LogCheck


def read_only_check(path: str | Path) -> CopyCheck:
    """The schema version and the event log's hash chain of the database at ``path``, opened
    read-only (no migration, no key); ``StoreError`` if it is not a compound database."""
    known = {m.number for m in migrations.MIGRATIONS}
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            numbers = [r[0] for r in conn.execute("SELECT number FROM migrations")]
            log = walk_chain(conn)
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise StoreError(f"cannot read {path} as a compound database: {e}") from None
    unknown = tuple(sorted(n for n in numbers if n not in known))
    return CopyCheck(max(numbers, default=0), unknown, log)
