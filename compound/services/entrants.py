"""Who entered the compound in the last week, kept up to date instead of re-read (群租 check).

The group-rental rule compares, per unit, the distinct people who entered within a window (a
week) with those registered there. Reading a week of passages at every check costs time in
proportion to the history: about 350,000 passages at the Xi'an size. Here the first check reads
the week once (from the ``events_type_at_person`` index alone); every later check reads only the
log since the last one (by sequence number: a quarter hour of events) and keeps each entrant's
latest passage in memory (a dict of at most the compound's people), with each entrant's unit
(looked up once, by primary key) and each busy unit's registered occupants (read again after a
registration or a move-out, and every hour). A later check then reads a quarter hour of log and
the units of the new entrants only, so it costs the same on the first day and after a year.

The counts per unit are kept as entrants come and go, and entrants are filed by the hour of
their latest passage, so a check touches the new passages, the hours that left the window and
the units busy enough to matter, never every entrant of the week (19,000 at the Xi'an size,
which cost 30 ms of Python a check, several times that on a busy machine).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable

from compound.services import alerts
from compound.store.db import Store

_CHUNK = 500  # ids per IN (...) list
# Who lives where changes only with these events (and is read again every hour regardless).
REGISTRATION = ("person.added", "person.moved_out", "people.imported", "unit.added")
UNITS_KEPT_S = 3600.0
# The units of some people, by primary key: a person's unit never changes (a move is a new
# registration, a new person).
_UNIT_OF = (
    "SELECT p.id AS p, h.unit_id AS u FROM people p"
    " JOIN households h ON h.id = p.household_id WHERE p.id IN ({})"
)
# Some units with their registered occupants and the people living there, each by index.
_REGISTERED = (
    "SELECT u.id, u.address, u.registered_occupants AS reg,"
    " (SELECT COUNT(*) FROM households h2"
    "   JOIN people p2 INDEXED BY people_household ON p2.household_id = h2.id"
    "   WHERE h2.unit_id = u.id AND p2.moved_out_at IS NULL"
    "   AND p2.role != 'visitor') AS residents"
    " FROM units u WHERE u.id IN ({})"
)


class RecentEntrants:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._latest: dict[int, float] = {}  # person -> their latest granted passage
        self._hours: dict[int, set[int]] = {}  # hour -> entrants whose latest passage is in it
        self._seq: int | None = None  # the log read up to here
        self._unit_of: dict[int, int] = {}  # person -> unit id
        self._unplaced: set[int] = set()  # entrants whose unit is not looked up yet
        self._per_unit: Counter[int] = Counter()  # unit id -> its entrants (those placed)
        self._units: dict[int, tuple[str, int]] = {}  # unit id -> (address, registered)
        self._units_read = float("-inf")  # monotonic time ``_units`` was started

    def refresh(self, since: float) -> None:
        """Bring the entrants up to the log's head and forget those not seen since ``since``."""
        read = self.store.read
        head = int(read("SELECT COALESCE(MAX(seq), 0) AS s FROM events")[0]["s"])
        if self._seq is None:
            rows = read(
                "SELECT person_id AS p, MAX(at) AS t FROM events"
                " WHERE type = 'access.granted' AND at > ? AND person_id IS NOT NULL"
                " GROUP BY person_id",
                (since,),
            )
        elif head > self._seq:
            rows = read(
                "SELECT person_id AS p, at AS t FROM events"
                " WHERE seq > ? AND seq <= ? AND type = 'access.granted'"
                " AND person_id IS NOT NULL",
                (self._seq, head),
            )
            marks = ",".join("?" * len(REGISTRATION))
            if read(
                f"SELECT 1 FROM events WHERE seq > ? AND seq <= ? AND type IN ({marks}) LIMIT 1",  # noqa: S608
                (self._seq, head, *REGISTRATION),
            ):
                self._units.clear()  # someone registered or moved out: occupants changed
        else:
            rows = []
        # Passages after the head read above come again next time: the latest keeps.
        self._passages((r["p"], r["t"]) for r in rows)
        self._seq = head
        self._expire(since)

    def _passages(self, seen: Iterable[tuple[int, float]]) -> None:
        latest, hours = self._latest, self._hours
        for p, t in seen:
            old = latest.get(p)
            if old is not None and t <= old:
                continue
            if old is None:
                unit = self._unit_of.get(p)
                if unit is None:
                    self._unplaced.add(p)
                else:
                    self._per_unit[unit] += 1
            else:
                hours[int(old // 3600)].discard(p)
            latest[p] = t
            hours.setdefault(int(t // 3600), set()).add(p)

    def _expire(self, since: float) -> None:
        """Forget the entrants not seen since ``since``: whole hours before it, and in its own
        hour those whose latest passage is not after it."""
        edge = int(since // 3600)
        for hour in [h for h in self._hours if h <= edge]:
            keep = set()
            for p in self._hours.pop(hour):
                if hour == edge and self._latest[p] > since:
                    keep.add(p)
                    continue
                del self._latest[p]
                unit = self._unit_of.get(p)
                if p in self._unplaced:
                    self._unplaced.discard(p)
                elif unit is not None:
                    self._per_unit[unit] -= 1
                    if not self._per_unit[unit]:
                        del self._per_unit[unit]
            if keep:
                self._hours[hour] = keep

    def units(self, since: float, at_least: int) -> list[alerts.UnitEntrants]:
        """Units with ``at_least`` distinct entrants since ``since``, with their registered
        occupants (or, where none were registered, the people living there)."""
        self.refresh(since)
        read = self.store.read
        unknown, self._unplaced = sorted(self._unplaced), set()
        for i in range(0, len(unknown), _CHUNK):
            part = unknown[i : i + _CHUNK]
            for r in read(_UNIT_OF.format(",".join("?" * len(part))), tuple(part)):
                self._unit_of[r["p"]] = r["u"]
                self._per_unit[r["u"]] += 1
        per_unit = self._per_unit
        if time.monotonic() - self._units_read > UNITS_KEPT_S:
            self._units.clear()
        if not self._units:
            self._units_read = time.monotonic()
        wanted = [u for u, n in per_unit.items() if n >= at_least]
        need = [u for u in wanted if u not in self._units]
        for i in range(0, len(need), _CHUNK):
            part = need[i : i + _CHUNK]
            for r in read(_REGISTERED.format(",".join("?" * len(part))), tuple(part)):
                registered = r["reg"] if r["reg"] is not None else r["residents"]
                self._units[r["id"]] = (r["address"], registered)
        return [
            alerts.UnitEntrants(self._units[u][0], self._units[u][1], per_unit[u])
            for u in wanted
            if u in self._units
        ]
