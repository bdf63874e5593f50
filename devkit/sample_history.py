"""Days of door passages for a sample compound, written to the hash-chained log.

About two passages per resident a day (some 50,000 a day at the Xi'an size), over the hours a
compound really moves: quiet at night, busy from 7 to 9 and from 17 to 20. Most are
``access.granted`` at the person's own entrance, a gate or a garage that serves them; about
2.5 % are ``access.denied``: unknown cards and PINs, residents at an entrance that is not theirs,
and tenants whose lease has ended. Each event carries what the core logs for a real decision;
the records for the city platform are not queued (the history counts as delivered long ago).

It reads the compound back from the store, so it works on any sample, and appends through
``store.append_events``, 5,000 events per transaction, in time order, chained as the core chains
each event it logs, so the chain verifies.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from compound.domain.access import Reason
from compound.domain.model import Door, Person
from compound.store.db import Store
from compound.store.log import PendingEvent

PASSAGES_PER_RESIDENT_DAY = 2.02
DENIED = 0.025
# How busy each hour of the day is (local time), relative to each other.
HOUR_WEIGHTS = (0.3, 0.2, 0.1, 0.1, 0.2, 0.8, 2.5, 5.0, 6.0, 3.5, 2.8, 3.0) + (
    3.5,
    2.8,
    2.5,
    2.8,
    3.5,
    5.0,
    6.0,
    5.0,
    3.5,
    2.5,
    1.5,
    0.8,
)
BATCH = 50_000  # events per transaction: a day at the Xi'an size
SOURCE = "sample-history"
CACHE_KIB = 1024 * 1024  # SQLite's page cache while the history is written


class _Compound:
    """The people who pass and the doors each of them may use."""

    def __init__(self, store: Store) -> None:
        creds: dict[int, list[tuple[int, str]]] = {}
        for r in store.query(
            "SELECT id, person_id, kind FROM credentials WHERE revoked_at IS NULL"
            " AND kind IN ('card', 'pin') ORDER BY id"
        ):
            creds.setdefault(r["person_id"], []).append((r["id"], r["kind"]))
        self.creds = creds
        everyone = store.people()
        self.residents = len(everyone)
        self.people = [p for p in everyone if p.id in creds]
        # An elderly person living alone goes out less often than the rest of the household.
        weights = [0.6 if p.lives_alone else 1.0 for p in self.people]
        total = 0.0
        self.cum: list[float] = []
        for w in weights:
            total += w
            self.cum.append(total)
        self.doors = store.doors()
        self.entrances = [d for d in self.doors if all(s.entrance is not None for s in d.serves)]
        self._by_unit: dict[str, tuple[list[Door], list[Door], list[Door]]] = {}

    def doors_for(self, p: Person) -> tuple[list[Door], list[Door], list[Door]]:
        """(own entrance, gates, garages and other shared doors) serving ``p``."""
        key = str(p.unit)
        if key not in self._by_unit:
            home: list[Door] = []
            gates: list[Door] = []
            other: list[Door] = []
            for d in self.doors:
                if not d.serves_unit(p.unit):
                    continue
                if any(s.building is None for s in d.serves):
                    gates.append(d)
                elif all(s.entrance is not None for s in d.serves):
                    home.append(d)
                else:
                    other.append(d)
            self._by_unit[key] = (home, gates, other)
        return self._by_unit[key]


def add_history(
    store: Store,
    days: int,
    seed: int,
    now: float,
    *,
    say: Callable[[str], None] | None = None,
) -> int:
    """Append ``days`` days of passages ending at ``now``; return how many were written."""
    if days <= 0:
        return 0
    rng = random.Random(f"{seed}-history")  # noqa: S311 - sample data, not secrets
    compound = _Compound(store)
    if not compound.people or not compound.doors:
        return 0
    start = now - days * 86400
    written = 0
    # While the history is written, a page cache that holds the log's indexes (some 300 MB at
    # 10 million events): the person indexes take each day's inserts all over, and with
    # SQLite's default 2 MB cache every insert would read its page back from the file.
    cache = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    store.conn.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    try:
        written = _days(store, compound, rng, days, start, say)
    finally:
        store.conn.execute(f"PRAGMA cache_size = {int(cache)}")
    return written


def _days(
    store: Store,
    compound: _Compound,
    rng: random.Random,
    days: int,
    start: float,
    say: Callable[[str], None] | None,
) -> int:
    tz = store.tz
    per_day = max(1, round(PASSAGES_PER_RESIDENT_DAY * compound.residents))
    top = max(HOUR_WEIGHTS)
    written, began = 0, time.monotonic()
    for day in range(days):
        t0 = start + day * 86400
        batch: list[PendingEvent] = []
        for _ in range(per_day):
            while True:  # a time of day as busy as the hour it falls in
                t = t0 + rng.random() * 86400
                if rng.random() * top < HOUR_WEIGHTS[datetime.fromtimestamp(t, tz).hour]:
                    break
            batch.append(_passage(rng, compound, t, tz))
        batch.sort(key=lambda e: e[0])
        for i in range(0, len(batch), BATCH):
            store.append_events(batch[i : i + BATCH])
        written += len(batch)
        if say:
            took = time.monotonic() - began
            say(f"history: day {day + 1} of {days}, {written} passages, {took:.0f} s")
    return written


def _passage(rng: random.Random, c: _Compound, t: float, tz: Any) -> PendingEvent:
    data: dict[str, Any] = {"request_id": f"{rng.getrandbits(128):032x}", "source": SOURCE}
    if rng.random() < DENIED * 0.6:  # a card or PIN the compound does not know
        door = rng.choice(c.doors)
        kind = "card" if rng.random() < 0.75 else "pin"
        return t, "access.denied", door.id, None, _data(data, kind, Reason.UNKNOWN_CREDENTIAL)
    p = rng.choices(c.people, cum_weights=c.cum)[0]
    cred_id, kind = _credential(rng, c.creds[p.id])
    data["credential_id"] = cred_id
    if rng.random() < DENIED * 0.4:  # at someone else's entrance
        door = rng.choice(c.entrances) if c.entrances else rng.choice(c.doors)
        if not door.serves_unit(p.unit):
            return t, "access.denied", door.id, p.id, _data(data, kind, Reason.DOOR_NOT_SERVING)
    home, gates, other = c.doors_for(p)
    choices = [(ds, w) for ds, w in ((home, 0.55), (gates, 0.30), (other, 0.15)) if ds]
    if not choices:
        door = rng.choice(c.doors)
        return t, "access.denied", door.id, p.id, _data(data, kind, Reason.DOOR_NOT_SERVING)
    doors = rng.choices([ds for ds, _ in choices], weights=[w for _, w in choices])[0]
    door = rng.choice(doors)
    if p.lease_end is not None and datetime.fromtimestamp(t, tz).date() > p.lease_end:
        return t, "access.denied", door.id, p.id, _data(data, kind, Reason.LEASE_ENDED)
    return t, "access.granted", door.id, p.id, _data(data, kind, Reason.GRANTED)


def _credential(rng: random.Random, creds: list[tuple[int, str]]) -> tuple[int, str]:
    """Most who hold a card use it; the rest type their PIN."""
    cards = [c for c in creds if c[1] == "card"]
    pins = [c for c in creds if c[1] == "pin"]
    if cards and (not pins or rng.random() < 0.85):
        return cards[0]
    return pins[0]


def _data(data: dict[str, Any], kind: str, reason: Reason) -> dict[str, Any]:
    return {"kind": kind, "reason": str(reason), **data}
