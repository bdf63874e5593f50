"""A register sheet's rows staged in a scratch database, to be copied in under the write lock.

Inserting 25,000 people row by row from Python (``executemany``) binds every value of every row
while the import holds the database's write lock, which a door decision needs to log. Here the
rows are written before the transaction into a scratch SQLite file of their own (no indexes, no
durability: it is thrown away), which takes no lock on the box's database; inside the
transaction each table is copied with one ``INSERT ... SELECT``, which SQLite runs without
coming back to Python for each row. The scratch file sits beside the database, in the same
private folder (it holds names and phone numbers), and is deleted as soon as the copy is done.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from compound.store.db import Store

# The staged tables, in the order they are copied (parents first), and the columns written.
COLUMNS = {
    "units": "id, address, building, entrance, room",
    "households": "id, unit_id, rental, created_at",
    "people": "id, name, household_id, role, id_type, id_hash, id_masked, id_sealed, phone,"
    " lease_start, lease_end, lives_alone, birth_year, created_at, initials",
    "credentials": "id, person_id, kind, lookup, label, created_at",
    "tenant_profiles": "person_id, layer, origin, registered_at, set_by",
}
NAME = "import_stage"
STALE_S = 3600.0


@contextmanager
def staged(store: Store, rows: Mapping[str, Sequence[tuple[Any, ...]]]) -> Iterator[bool]:
    """Stage ``rows`` (by table) and attach them to the store's connection for ``copy``, holding
    the store's lock from the attach to the detach. Yields False where they cannot be attached
    (the store is already inside a transaction, or in memory): then the caller inserts them."""
    if str(store.path) == ":memory:":
        yield False
        return
    _remove_stale(store.path.parent)
    try:
        folder = Path(tempfile.mkdtemp(prefix=".import-", dir=store.path.parent))
    except OSError:  # the folder cannot take the scratch file: insert from Python instead
        yield False
        return
    try:
        path = folder / "stage.db"
        try:
            _write(path, rows)
        except (OSError, sqlite3.Error):  # a full disk: the transaction will say so clearly
            yield False
            return
        with store._lock:  # no other thread's transaction may open between attach and detach
            if store._depth:  # this thread is inside a transaction: nothing can be attached
                yield False
                return
            store.conn.execute(f"ATTACH DATABASE ? AS {NAME}", (str(path),))
            try:
                yield True
            finally:
                store.conn.execute(f"DETACH DATABASE {NAME}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _remove_stale(parent: Path) -> None:
    """Scratch folders an import killed outright (SIGKILL, a power cut) left behind: they hold
    names and phone numbers. One an hour old is no running import's (the largest take seconds)."""
    cutoff = time.time() - STALE_S
    for old in parent.glob(".import-*"):
        with contextlib.suppress(OSError):
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)


def _write(path: Path, rows: Mapping[str, Sequence[tuple[Any, ...]]]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a scratch file: thrown away, never recovered
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for table, columns in COLUMNS.items():
            n = columns.count(",") + 1
            conn.execute(f"CREATE TABLE {table} ({columns})")
            conn.executemany(
                f"INSERT INTO {table} VALUES ({', '.join('?' * n)})",  # noqa: S608
                rows[table],
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


def copy(c: sqlite3.Connection) -> None:
    """Inside the write transaction: every staged table into the database, in row order."""
    for table, columns in COLUMNS.items():
        c.execute(
            f"INSERT INTO main.{table} ({columns})"  # noqa: S608 - names from COLUMNS
            f" SELECT {columns} FROM {NAME}.{table} ORDER BY rowid"
        )
