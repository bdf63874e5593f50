"""The event log: appending hash-chained events, reading them back, and verifying the chain.

Each row carries the hash of the row before it and the SHA-256 of its own canonical content, so
``verify_log`` can name the first row that was altered, removed or slipped in. A record for the
city platform goes into the outbox in the same transaction as the event it carries, so neither
is ever written without the other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from compound.domain.model import Event
from compound.protocol.messages import canonical
from compound.store.base import StoreBase

GENESIS = "0" * 64


@dataclass(frozen=True)
class LogCheck:
    ok: bool
    events: int
    first_broken: int | None = None
    problem: str = ""


def event_hash(
    prev_hash: str,
    seq: int,
    at: float,
    type_: str,
    door_id: str | None,
    person_id: int | None,
    data_json: str,
) -> str:
    content = canonical(
        {
            "seq": seq,
            "at": at,
            "type": type_,
            "door_id": door_id,
            "person_id": person_id,
            "data": json.loads(data_json),
        }
    )
    return hashlib.sha256(prev_hash.encode() + content).hexdigest()


class EventLog(StoreBase):
    def append_event(
        self,
        type_: str,
        *,
        at: float | None = None,
        door_id: str | None = None,
        person_id: int | None = None,
        data: dict[str, Any] | None = None,
        uplink: dict[str, Any] | None = None,
    ) -> Event:
        """Append one hash-chained event; with ``uplink``, queue that record for the city
        platform in the same transaction."""
        at = self.clock.now() if at is None else at
        data_json = canonical(data or {}).decode()
        with self.transaction() as c:
            last = c.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            h = event_hash(prev, seq, at, type_, door_id, person_id, data_json)
            c.execute(
                "INSERT INTO events (seq, at, type, door_id, person_id, data, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, at, type_, door_id, person_id, data_json, prev, h),
            )
            if uplink is not None:
                c.execute(
                    "INSERT INTO outbox (event_seq, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                    (seq, type_, canonical(uplink).decode(), at),
                )
            event = Event(seq, at, type_, door_id, person_id, data or {}, prev, h)
            self._after_commit.append(event)
            return event

    def events(
        self,
        *,
        after: int = 0,
        door_id: str | None = None,
        person_id: int | None = None,
        types: list[str] | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> list[Event]:
        sql = "SELECT * FROM events WHERE seq > ?"
        args: list[Any] = [after]
        if door_id is not None:
            sql += " AND door_id = ?"
            args.append(door_id)
        if person_id is not None:
            sql += " AND person_id = ?"
            args.append(person_id)
        if types:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            args.extend(types)
        sql += f" ORDER BY seq {'DESC' if newest_first else 'ASC'} LIMIT ?"
        args.append(limit)
        return [_event(r) for r in self.query(sql, tuple(args))]

    def verify_log(self) -> LogCheck:
        """Walk the chain from the first event; report the first row that does not fit."""
        with self._lock:
            return walk_chain(self.conn)


def walk_chain(conn: Any) -> LogCheck:
    """The chain check on any connection to a compound database (a read-only one included:
    ``compound backup verify`` checks an archive's database without migrating it)."""
    prev, expected, n = GENESIS, 1, 0
    cur = conn.execute(
        "SELECT seq, at, type, door_id, person_id, data, prev_hash, hash FROM events ORDER BY seq"
    )
    for seq, at, type_, door_id, person_id, data, prev_hash, h in cur:
        n += 1
        if seq != expected:
            return LogCheck(False, n, seq, f"gap: expected event {expected}, found {seq}")
        if prev_hash != prev:
            return LogCheck(False, n, seq, f"event {seq} does not link to event {seq - 1}")
        try:
            want = event_hash(prev, seq, at, type_, door_id, person_id, data)
        except (ValueError, TypeError):
            return LogCheck(False, n, seq, f"event {seq} has unreadable data")
        if want != h:
            return LogCheck(False, n, seq, f"event {seq} was altered (hash mismatch)")
        prev, expected = h, seq + 1
    return LogCheck(True, n)


def _event(r: dict[str, Any]) -> Event:
    return Event(
        r["seq"],
        r["at"],
        r["type"],
        r["door_id"],
        r["person_id"],
        json.loads(r["data"]),
        r["prev_hash"],
        r["hash"],
    )
