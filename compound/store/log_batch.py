"""Many events appended to the log at once, for bulk registration (``register_import``).

``EventLog.append_event`` reads the head, builds the canonical content, hashes and inserts, one
event at a time. Here everything of an event that does not depend on its place in the chain is
made before the write transaction: the canonical text of its data and the hashed content around
its sequence number (``log.event_hash``'s canonical form: sorted keys, no spaces). Inside the
transaction, ``write`` reads the head, numbers and hashes each event after it and inserts the
rows with two ``executemany``. The chain is the same chain: ``verify_log`` checks it with
``event_hash``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from compound.domain.model import Event
from compound.protocol.messages import canonical
from compound.store.log import GENESIS


class EventBatch:
    """Events to append in order, chained like ``EventLog.append_event`` chains one. ``add``
    needs no connection (call it before the transaction); ``write`` runs inside the store's
    write transaction (nobody else appends meanwhile); hand ``events`` to ``_after_commit``."""

    def __init__(self, at: float) -> None:
        self.at = at
        self._at = canonical(at).decode()
        # type, person id, data, data's canonical text, outbox record, content before and
        # after the sequence number
        self._pending: list[tuple[str, int | None, dict[str, Any], str, str | None, str, str]]
        self._pending = []
        self.events: list[Event] = []

    def __len__(self) -> int:
        return len(self._pending)

    def add(
        self,
        type_: str,
        person_id: int | None,
        data: dict[str, Any],
        data_json: str,
        uplink_json: str | None = None,
    ) -> None:
        """One event; ``data_json`` is ``canonical(data)``. The hashed content is put together
        here in ``log.event_hash``'s canonical form (sorted keys: at, data, door_id, person_id,
        seq, type), split where the sequence number goes."""
        who = "null" if person_id is None else str(person_id)
        before = f'{{"at":{self._at},"data":{data_json},"door_id":null,"person_id":{who},"seq":'
        after = f',"type":"{type_}"}}'
        self._pending.append((type_, person_id, data, data_json, uplink_json, before, after))

    def write(self, c: sqlite3.Connection) -> list[Event]:
        """Number and chain the events after the log's head and insert them with their outbox
        records. Inside the write transaction: the head cannot move meanwhile."""
        last = c.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0], last[1]) if last else (0, GENESIS)
        at, sha256 = self.at, hashlib.sha256
        rows: list[tuple[Any, ...]] = []
        outbox: list[tuple[Any, ...]] = []
        events: list[Event] = []
        for type_, person_id, data, data_json, uplink_json, before, after in self._pending:
            seq += 1
            h = sha256(f"{prev}{before}{seq}{after}".encode()).hexdigest()
            rows.append((seq, at, type_, None, person_id, data_json, prev, h))
            if uplink_json is not None:
                outbox.append((seq, type_, uplink_json, at))
            events.append(Event(seq, at, type_, None, person_id, data, prev, h))
            prev = h
        c.executemany(
            "INSERT INTO events (seq, at, type, door_id, person_id, data, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        c.executemany(
            "INSERT INTO outbox (event_seq, kind, payload, created_at) VALUES (?, ?, ?, ?)",
            outbox,
        )
        self.events = events
        return events
