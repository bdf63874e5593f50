"""The event log: appending hash-chained events, reading them back, and verifying the chain.

Each row carries the hash of the row before it and the SHA-256 of its own canonical content, so
``verify_log`` can name the first row that was altered, removed or slipped in. A record for the
city platform goes into the outbox in the same transaction as the event it carries, so neither
is ever written without the other.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256
from math import isfinite
from typing import Any

from compound.domain.model import Event
from compound.protocol.messages import canonical
from compound.store.base import StoreBase

GENESIS = "0" * 64
# An event to append: (at, type, door id, person id, data).
PendingEvent = tuple[float, str, str | None, int | None, dict[str, Any]]


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


def content_text(
    seq: int,
    at: float,
    type_: str,
    door_id: str | None,
    person_id: int | None,
    data_json: str,
) -> str:
    """``event_hash``'s canonical content put together from its parts, ``data_json`` taken as
    written: the same text as ``canonical`` gives when ``data_json`` is the canonical form of
    the data (sorted keys, no spaces), which is how the log writes it. Every other part is
    encoded here, so a row can only give the text it was hashed from by holding the same
    values."""
    return (
        f'{{"at":{_value(at)},"data":{_str(data_json)},"door_id":{_value(door_id)},'
        f'"person_id":{_value(person_id)},"seq":{int(seq)},"type":{_value(type_)}}}'
    )


def _value(x: object) -> str:
    """One value as ``canonical`` writes it inside the content; the common cases without the
    JSON encoder (a number as ``repr`` gives it, text with nothing to escape in quotes)."""
    if x is None:
        return "null"
    if type(x) is int or (type(x) is float and isfinite(x)):
        return repr(x)
    if type(x) is str and _PLAIN.fullmatch(x):
        return f'"{x}"'
    return json.dumps(x, ensure_ascii=False)


# Text json.dumps(..., ensure_ascii=False) writes unchanged between quotes.
_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')


def _str(x: object) -> str:
    if not isinstance(x, str):
        raise TypeError("the data is not text")
    return x


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

    def append_events(self, rows: Iterable[PendingEvent]) -> list[Event]:
        """Append many events, in the order given, in one transaction, chained exactly as
        ``append_event`` chains one (a log written years back, a bulk history): the head is
        read once, each event's canonical content is put together from its parts (the data's
        canonical text once, not parsed back) and the rows go in with one ``executemany``."""
        pending = [
            (float(at), t, d, p, canonical(data).decode(), data) for at, t, d, p, data in rows
        ]
        with self.transaction() as c:
            last = c.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0], last[1]) if last else (0, GENESIS)
            out: list[tuple[Any, ...]] = []
            events: list[Event] = []
            for at, type_, door_id, person_id, data_json, data in pending:
                seq += 1
                content = content_text(seq, at, type_, door_id, person_id, data_json)
                h = sha256(prev.encode() + content.encode()).hexdigest()
                out.append((seq, at, type_, door_id, person_id, data_json, prev, h))
                events.append(Event(seq, at, type_, door_id, person_id, data, prev, h))
                prev = h
            c.executemany(
                "INSERT INTO events (seq, at, type, door_id, person_id, data, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                out,
            )
            self._after_commit.extend(events)
            return events

    def events(
        self,
        *,
        after: int = 0,
        door_id: str | None = None,
        person_id: int | None = None,
        types: list[str] | None = None,
        limit: int = 100,
        newest_first: bool = False,
        before: int | None = None,
    ) -> list[Event]:
        sql = "SELECT * FROM events WHERE seq > ?"
        args: list[Any] = [after]
        if before is not None:
            sql += " AND seq < ?"
            args.append(before)
        if door_id is not None:
            sql += " AND door_id = ?"
            args.append(door_id)
        if person_id is not None:
            sql += " AND person_id = ?"
            args.append(person_id)
        if types:
            # A reader catching up from ``after`` walks the log from there (by seq); the type
            # index would read every event of those types since the first and sort them: at
            # 10 million events a second for each page of the alert rules' replay at start.
            plus = "+" if after > 0 else ""
            sql += f" AND {plus}type IN ({','.join('?' * len(types))})"
            args.extend(types)
        sql += f" ORDER BY seq {'DESC' if newest_first else 'ASC'} LIMIT ?"
        args.append(limit)
        return [_event(r) for r in self.query(sql, tuple(args))]

    def verify_log(self) -> LogCheck:
        """Walk the chain from the first event; report the first row that does not fit."""
        with self._lock:
            return walk_chain(self.conn)


def walk_chain(conn: Any, after: int = 0, prev: str = GENESIS) -> LogCheck:
    """The chain check on any connection to a compound database (a read-only one included:
    ``compound backup verify`` checks an archive's database without migrating it). From the
    first event, or from the one after event ``after`` whose hash is ``prev``; ``events`` counts
    the events read."""
    expected, n = after + 1, 0
    cur = conn.execute(
        "SELECT seq, at, type, door_id, person_id, data, prev_hash, hash FROM events"
        " WHERE seq > ? ORDER BY seq",
        (after,),
    )
    for seq, at, type_, door_id, person_id, data, prev_hash, h in cur:
        n += 1
        if seq != expected:
            return LogCheck(False, n, seq, f"gap: expected event {expected}, found {seq}")
        if prev_hash != prev:
            return LogCheck(False, n, seq, f"event {seq} does not link to event {seq - 1}")
        # The content as written (the log writes the data's canonical text), and only when
        # that does not give the hash, parsed and made canonical again: a row written with
        # the same data in another form still verifies, as before.
        try:
            fast = sha256((prev + content_text(seq, at, type_, door_id, person_id, data)).encode())
        except (ValueError, TypeError):  # not text where text belongs: only the full check
            fast = None
        if fast is None or fast.hexdigest() != h:
            try:
                if event_hash(prev, seq, at, type_, door_id, person_id, data) != h:
                    return LogCheck(False, n, seq, f"event {seq} was altered (hash mismatch)")
            except (ValueError, TypeError):
                return LogCheck(False, n, seq, f"event {seq} has unreadable data")
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
