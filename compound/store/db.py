"""The box's database: the one module that opens SQLite (through sqlite-utils).

WAL with synchronous=FULL so that a committed row survives a power cut; foreign keys on;
numbered migrations. Every write runs in an explicit ``BEGIN IMMEDIATE`` transaction that this
module opens and closes itself: the event log and the outbox must commit together with the
change they record, and sqlite-utils' own helpers are kept to reads and schema work so that
none of them commits a transaction half-way.

``Store`` holds the connection, the transactions, the hooks that see each event once it is
committed, settings and query helpers; what it stores is handled by one part per aggregate, in
its own module: the hash-chained log and outbox (``log``), units and people (``people``),
credentials (``credentials``), doors, schedules and lockdown (``doors``), assigning and removing
schedules and the holiday list (``schedules``), alarms (``alarms``), intercom stations
(``stations``).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from compound.adapters import keys
from compound.domain.clock import Clock
from compound.domain.model import Event
from compound.store import migrations
from compound.store.alarms import Alarms
from compound.store.backup import Backups
from compound.store.base import StoreError
from compound.store.checkpoint import Checkpoints
from compound.store.credentials import Credentials
from compound.store.doors import Doors
from compound.store.id_numbers import KEY_FILE as ID_KEY_FILE
from compound.store.id_numbers import IdNumbers
from compound.store.log import GENESIS, LogCheck, event_hash
from compound.store.people import People
from compound.store.schedules import Schedules
from compound.store.stations import Stations

# The log's names stay importable from here, where they were before the store was split.
__all__ = ["GENESIS", "LogCheck", "Store", "StoreBusy", "StoreError", "event_hash"]


class StoreBusy(StoreError):
    """The write lock was not had within the wait asked for (``transaction(wait_s=...)``)."""


class Store(Checkpoints, People, Credentials, Doors, Schedules, Alarms, Stations, Backups):
    def __init__(self, path: str | Path, clock: Clock, key_dir: str | Path | None = None) -> None:
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None  # the thread whose transaction is open
        self.key_dir = Path(key_dir) if key_dir else self.path.parent / "keys"
        self.event_hooks: list[Callable[[Event], None]] = []
        self._after_commit: list[Event] = []
        if str(path) != ":memory:" and self.path.is_dir():
            raise StoreError(f"{self.path} is a directory; give the path of the database file")
        try:
            if str(path) != ":memory:":
                _private_files(self.path)
            self.conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=5.0
            )
            self.conn.execute("PRAGMA busy_timeout = 5000")
            mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows (face templates above all) are overwritten in the file, not unlinked.
            self.conn.execute("PRAGMA secure_delete = ON")
            # Before the migrations: the one that seals ID numbers calls its functions.
            self.ids = IdNumbers(keys.load_or_create(self.key_dir / ID_KEY_FILE))
            self.ids.register(self.conn)
            migrations.apply(self.conn)
        except sqlite3.OperationalError as e:
            raise StoreError(_explain(self.path, e)) from None
        except sqlite3.DatabaseError as e:
            raise StoreError(
                f"cannot read {self.path}: {e}; it is not a compound database or it is damaged"
            ) from None
        if str(path) != ":memory:" and mode.lower() != "wal":
            raise StoreError(f"cannot switch {self.path} to WAL mode (got {mode})")
        self.db = sqlite_utils.Database(self.conn)
        self.master_key = keys.load_or_create(self.key_dir / "master.key")
        self._readers = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for c in self._reader_conns:
                c.close()
            self._reader_conns.clear()
            self.conn.close()

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def transaction(self, wait_s: float | None = None) -> Iterator[sqlite3.Connection]:
        """One explicit write transaction; nested uses join the outer one. With ``wait_s``,
        ``StoreBusy`` unless this store's lock and the database's write lock are had within
        about that long, instead of waiting up to the busy timeout (the door decisions' log,
        ``services/decision_log.py``, does not wait behind an import)."""
        if not self._lock.acquire(timeout=-1 if wait_s is None else wait_s):
            raise StoreBusy(f"database {self.path} is busy (a long write in this process)")
        try:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self._begin(wait_s)
            self._depth, self._owner = 1, threading.get_ident()
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as e:
                self._after_commit.clear()
                self._rollback()
                if isinstance(e, sqlite3.OperationalError):  # a full disk, an I/O error
                    raise StoreError(_explain(self.path, e)) from e
                raise
            finally:
                self._depth, self._owner = 0, None
            done, self._after_commit = self._after_commit, []
        finally:
            self._lock.release()
        if done:
            self._after_events([e.seq for e in done])
        for event in done:
            for hook in list(self.event_hooks):
                hook(event)

    def _begin(self, wait_s: float | None) -> None:
        if wait_s is not None:
            self.conn.execute(f"PRAGMA busy_timeout = {max(0, int(wait_s * 1000))}")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if wait_s is not None and "locked" in str(e):
                raise StoreBusy(f"database {self.path} is locked by another process") from None
            raise StoreError(_explain(self.path, e)) from None
        finally:
            if wait_s is not None:
                self.conn.execute("PRAGMA busy_timeout = 5000")

    def _rollback(self) -> None:
        """Roll back what is left of a failed transaction. After a failed COMMIT (a full disk)
        SQLite has already rolled it back, and ROLLBACK would fail with "cannot rollback" and
        hide why; then there is nothing to do."""
        if not self.conn.in_transaction:
            return
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the original error is the one to report; SQLite rolls back on its own

    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]:
        if getattr(self._readers, "unlocked", False) and self._owner != threading.get_ident():
            conn = self._reader()  # see read_unlocked
            if conn is not None:
                return self._rows(conn, sql, params)
        with self._lock:
            try:
                return list(self.db.query(sql, params))
            except sqlite3.OperationalError as e:
                raise StoreError(_explain(self.path, e)) from None

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def read(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """A read for cold work (periodic checks, reports, screens' lists) on a read-only
        connection of the calling thread, without the lock the door decisions take: in WAL mode
        it sees the last committed state and neither waits for nor holds up a writer, so a slow
        report never delays a swipe. It does not see a transaction still open on this store."""
        conn = self._reader()
        if conn is None:
            return self.query(sql, params)
        return self._rows(conn, sql, params)

    def read_unlocked(self) -> None:
        """From now on, this thread's queries outside its own transactions go to its read
        connection and never wait for the lock another thread's transaction holds: the door
        decisions' thread reads its facts so while an import writes in this process."""
        self._readers.unlocked = True

    def _rows(
        self, conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] | dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            cur = conn.execute(sql, params)
            names = [d[0] for d in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        except sqlite3.OperationalError as e:
            raise StoreError(_explain(self.path, e)) from None

    def _reader(self) -> sqlite3.Connection | None:
        if str(self.path) == ":memory:":
            return None  # one connection is all an in-memory database has
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=5.0,
            )
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA busy_timeout = 5000")
            self._readers.conn = conn
            with self._readers_lock:  # not the store's lock: a writer may hold that for long
                self._reader_conns.append(conn)
        return conn

    # -- settings --------------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM settings WHERE key = ?", (key,))
        return row["value"] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @property
    def site_id(self) -> str:
        return self.setting("site_id", "demo") or "demo"

    @property
    def tz(self) -> ZoneInfo:
        name = self.setting("timezone", "Asia/Shanghai") or "Asia/Shanghai"
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise StoreError(f"unknown time zone {name!r} in settings") from None


def _private_files(path: Path) -> None:
    """The database holds ID numbers, phones and card numbers: create it 0600 and take group and
    other access from an existing one and its WAL and SHM. SQLite creates the WAL and SHM with the
    database file's mode, so they follow it. No group needs these files (only the core and the
    CLI, as the box's own user, open them)."""
    if not path.exists() and path.parent.is_dir():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
        except FileNotFoundError:
            pass
        except PermissionError:
            raise sqlite3.OperationalError(
                f"cannot make {p} private (chmod 600): it belongs to another user"
            ) from None


def _explain(path: Path, e: sqlite3.OperationalError) -> str:
    text = str(e)
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another process; try again, or stop that process"
    if "full" in text:
        return (
            f"disk is full: database {path} cannot be written ({text}); free space on its"
            " filesystem"
        )
    if "unable to open" in text:
        return f"cannot open database {path}: check the folder exists and is writable"
    if "readonly" in text:
        return f"database {path} is read-only: check its permissions"
    return f"database {path}: {text}"
