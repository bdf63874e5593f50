"""Many events appended to the log at once, for bulk registration (``register_import``).

``EventLog.append_event`` reads the head, builds the canonical content, hashes and inserts, one
event at a time. Here the canonical text of each event's data is made by the caller (most of it
before the transaction), the content hashed is put together from it in the same canonical form
(sorted keys, no spaces), and the rows are inserted with two ``executemany``. The chain is the
same chain: ``verify_log`` checks it with ``event_hash``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from compound.domain.model import Event
from compound.protocol.messages import canonical
from compound.store.log import GENESIS


class EventBatch:
    """Events appended in order, chained like ``EventLog.append_event`` chains one, and written
    with their outbox records in two statements. Use inside the store's write transaction
    (nobody else appends meanwhile); hand ``events`` to the store's ``_after_commit``."""

    def __init__(self, c: sqlite3.Connection, at: float) -> None:
        self.c, self.at = c, at
        self._at = canonical(at).decode()
        last = c.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        self.seq: int = last[0] if last else 0
        self.prev: str = last[1] if last else GENESIS
        self.events: list[Event] = []
        self.rows: list[tuple[Any, ...]] = []
        self.outbox: list[tuple[Any, ...]] = []
        self.units_created: list[str] = []

    def add(
        self,
        type_: str,
        person_id: int | None,
        data: dict[str, Any],
        data_json: str,
        uplink_json: str | None = None,
    ) -> None:
        """One event; ``data_json`` is ``canonical(data)``, given because most of it is made
        before the transaction. The hashed content is ``log.event_hash``'s canonical form, put
        together here (sorted keys: at, data, door_id, person_id, seq, type)."""
        self.seq += 1
        who = "null" if person_id is None else str(person_id)
        content = (
            f'{{"at":{self._at},"data":{data_json},"door_id":null,"person_id":{who},'
            f'"seq":{self.seq},"type":"{type_}"}}'
        )
        h = hashlib.sha256((self.prev + content).encode()).hexdigest()
        self.rows.append((self.seq, self.at, type_, None, person_id, data_json, self.prev, h))
        if uplink_json is not None:
            self.outbox.append((self.seq, type_, uplink_json, self.at))
        self.events.append(Event(self.seq, self.at, type_, None, person_id, data, self.prev, h))
        self.prev = h

    def write(self) -> None:
        self.c.executemany(
            "INSERT INTO events (seq, at, type, door_id, person_id, data, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            self.rows,
        )
        self.c.executemany(
            "INSERT INTO outbox (event_seq, kind, payload, created_at) VALUES (?, ?, ?, ?)",
            self.outbox,
        )
