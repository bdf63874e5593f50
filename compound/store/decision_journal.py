"""Door decisions kept durably while the event log's write lock is held by someone else.

A door decision is logged before it is answered (a decision that is not logged is not carried
out). The log's write lock is the database's: a CSV import of 25,000 people holds it for one to
three seconds (all or nothing means one transaction), and a decision waiting for it waits that
long. So when the lock is not free at once (``services/decision_log.py`` decides that), the
decision is written to this journal instead: a small SQLite file of its own beside the database
(``<database>-decisions``), WAL with ``synchronous=FULL`` like the database, so a decision in it
survives a power cut as one in the log does. It is committed before the reader is answered.

``merge`` then moves what the journal holds into the hash-chained log, in order, in one
transaction of the log, which also records how far it got (setting ``decisions.merged``:
the journal's own random id and the last entry merged). A crash between that commit and the
journal forgetting the entries merges nothing twice; a journal file made anew (another id)
is never mistaken for the old one. The core merges at start, so what a killed core's journal
still held reaches the log before anything else that core decides.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compound.domain.model import Event
from compound.protocol.messages import canonical
from compound.store.base import StoreError
from compound.store.db import Store

MERGED = "decisions.merged"  # the settings key: "<journal id>:<last entry merged>"
MERGE_AT_MOST = 1000  # entries per merge transaction


@dataclass(frozen=True)
class Entry:
    id: int
    type: str
    at: float
    door_id: str | None
    person_id: int | None
    data: dict[str, Any]
    uplink: dict[str, Any] | None


def journal_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-decisions")


class DecisionJournal:
    """The journal file; one writer (the decision thread) and one merger, any threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            if not path.exists():  # 0600 from the start: person and door ids, like the log
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self.conn = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=5.0
            )
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            # AUTOINCREMENT: an id is never used twice, even after every entry was forgotten.
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " type TEXT NOT NULL, at REAL NOT NULL, door_id TEXT, person_id INTEGER,"
                " data TEXT NOT NULL, uplink TEXT)"
            )
            self.conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('id', ?)", (secrets.token_hex(8),)
            )
            self.conn.execute("COMMIT")
            self.ident = str(
                self.conn.execute("SELECT value FROM meta WHERE key = 'id'").fetchone()[0]
            )
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot open the decision journal {path}: {e}") from None

    def add(
        self,
        type_: str,
        at: float,
        door_id: str | None,
        person_id: int | None,
        data: dict[str, Any],
        uplink: dict[str, Any] | None,
    ) -> int:
        """Write one decision and commit it (durable when this returns); its entry id."""
        up = canonical(uplink).decode() if uplink is not None else None
        with self._lock:
            try:
                cur = self.conn.execute(
                    "INSERT INTO entries (type, at, door_id, person_id, data, uplink)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (type_, at, door_id, person_id, canonical(data).decode(), up),
                )
            except sqlite3.Error as e:  # a full disk: the caller refuses the decision
                raise StoreError(f"the decision journal {self.path} cannot be written: {e}") from e
            return int(cur.lastrowid or 0)

    def entries(self, limit: int = MERGE_AT_MOST) -> list[Entry]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT id, type, at, door_id, person_id, data, uplink FROM entries"
                " ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Entry(i, t, at, d, p, json.loads(data), json.loads(up) if up else None)
            for i, t, at, d, p, data, up in rows
        ]

    def count(self) -> int:
        with self._lock:
            return int(self.conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def forget(self, upto: int) -> None:
        """Drop the entries the log now holds (after the log's commit)."""
        with self._lock:
            try:
                self.conn.execute("DELETE FROM entries WHERE id <= ?", (upto,))
            except sqlite3.Error:
                pass  # they are merged and marked: the next merge skips them

    def close(self) -> None:
        with self._lock:
            self.conn.close()


def merge(store: Store, journal: DecisionJournal) -> list[tuple[Entry, Event | None]]:
    """Append what the journal holds to the log, in order, in one transaction (waiting for the
    write lock as long as any writer does): each entry taken with the event it became, or None
    for one a merge before a crash already appended. ``StoreError`` if the log cannot be
    written now; then nothing changed and the journal still holds everything."""
    entries = journal.entries()
    if not entries:
        return []
    taken: list[tuple[Entry, Event | None]] = []
    with store.transaction() as c:
        row = c.execute("SELECT value FROM settings WHERE key = ?", (MERGED,)).fetchone()
        ident, _, last = (row[0] if row else "").partition(":")
        done = int(last) if ident == journal.ident and last.isdigit() else 0
        for e in entries:
            if e.id <= done:
                taken.append((e, None))
                continue
            taken.append(
                (
                    e,
                    store.append_event(
                        e.type,
                        at=e.at,
                        door_id=e.door_id,
                        person_id=e.person_id,
                        data=e.data,
                        uplink=e.uplink,
                    ),
                )
            )
        c.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (MERGED, f"{journal.ident}:{entries[-1].id}"),
        )
    journal.forget(entries[-1].id)
    return taken
