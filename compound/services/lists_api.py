"""Paged lists of the core's own records, for the officer wall and the command line.

``alarm.page`` and ``events.page`` are the bounded forms of the core's ``alarm.list`` and
``events.recent``: every read runs on the store's reader connection (``Store.read``), outside
the lock the door decisions take, and every reply is one page.

- ``alarm.page`` {open (default true), kind, page, size} → {items, total, page, size, counts,
  doors}: alarms by severity (critical first), then newest first; ``counts`` is how many of
  each kind match ``open`` (before the ``kind`` filter), for the wall's summary; ``doors`` the
  kind of each door's latest alarm while that one is open, for its tile.
- ``events.page`` {types, door, person, unit, since, until, before, size} → {items, size,
  next_before}: events newest first, at most ``size`` (200), at or after ``since`` and before
  ``until`` (epoch seconds) when given; ``next_before`` asks for the page after (older). The log
  has millions of rows, so no total is counted. ``unit`` (3-2-1501) gives the events of everyone
  ever registered to the unit; ``doors`` (a list) the events of any of those doors (a
  building's entrances, the wall's building filter), each door's page read from its index.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from compound.domain.model import InvalidInput, UnitAddress
from compound.domain.paging import flag, page_of
from compound.protocol.topics import valid_segment
from compound.services.extension import Offers
from compound.store.alarms import _alarm
from compound.store.log import _event
from compound.store.migrations.search import SEVERITY_RANK

if TYPE_CHECKING:
    from compound.services.core import Core

MAX_TYPES = 20
# People a unit's history is merged from, at most (each gives one page at most).
MAX_UNIT_PEOPLE = 200
MAX_DOORS = 50  # doors in one events.page filter (a building's entrances)


class ListsApi:
    def __init__(self, core: Core) -> None:
        self.core = core

    def offers(self) -> Offers:
        return Offers(api={"alarm.page": self.alarm_page, "events.page": self.events_page})

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def alarm_page(self, p: dict[str, Any]) -> dict[str, Any]:
        page = page_of(p)
        open_only = flag(p, "open", True)
        where, args = [], []
        if open_only:
            where.append("acknowledged_at IS NULL")
        counted = " WHERE " + " AND ".join(where) if where else ""
        if p.get("kind"):
            kind = str(p["kind"])
            if not valid_segment(kind):
                raise InvalidInput(f"unknown alarm kind {kind!r}")
            where.append("kind = ?")
            args.append(kind)
        cond = " WHERE " + " AND ".join(where) if where else ""
        read = self.core.store.read
        counts = {
            r["kind"]: r["n"]
            for r in read(f"SELECT kind, COUNT(*) AS n FROM alarms{counted} GROUP BY kind")  # noqa: S608
        }
        total = read(f"SELECT COUNT(*) AS n FROM alarms{cond}", tuple(args))[0]["n"]  # noqa: S608
        # The open ones in queue order straight from their index, without sorting them all.
        table = "alarms INDEXED BY alarms_open_rank" if open_only else "alarms"
        rows = read(
            f"SELECT * FROM {table}{cond} ORDER BY {SEVERITY_RANK}, raised_at DESC"  # noqa: S608
            " LIMIT ? OFFSET ?",
            (*args, page.size, page.offset),
        )
        return page.reply(
            [asdict(_alarm(r)) for r in rows], total, counts=counts, doors=self._door_alarms()
        )

    def _door_alarms(self) -> dict[str, str]:
        """For the wall's door tiles: the kind of each door's latest alarm when that one is
        still open. An older alarm left open stays in the queue but no longer colours the
        tile once a newer one for the door is acknowledged."""
        read = self.core.store.read
        latest = {
            r["door_id"]: (r["kind"], r["k"])
            for r in read(
                "SELECT door_id, kind, MAX(raised_at) AS k FROM alarms"
                " WHERE acknowledged_at IS NULL AND door_id IS NOT NULL GROUP BY door_id"
            )
        }
        if not latest:
            return {}
        # A newer alarm acknowledged since: it was acknowledged after the oldest open one was
        # raised, so the search stays on the index of acknowledgement times.
        newer = read(
            "SELECT door_id, MAX(raised_at) AS k FROM alarms"
            " WHERE acknowledged_at >= ? AND door_id IS NOT NULL GROUP BY door_id",
            (min(k for _, k in latest.values()),),
        )
        acked = {r["door_id"]: r["k"] for r in newer}
        return {d: kind for d, (kind, k) in latest.items() if acked.get(d, k) <= k}

    def events_page(self, p: dict[str, Any]) -> dict[str, Any]:
        size = page_of(p).size
        where, args = ["1=1"], list[Any]()
        before = _number(p["before"], "before") if p.get("before") is not None else None
        if p.get("door") is not None:
            where.append("door_id = ?")
            args.append(str(p["door"]))
        if p.get("person") is not None:
            where.append("person_id = ?")
            args.append(_number(p["person"], "person"))
        residents = self._unit_people(p) if p.get("unit") is not None else None
        doors = _doors(p)  # a building's doors: each door's page from its index, merged
        types = p.get("types") or []
        if not isinstance(types, list) or len(types) > MAX_TYPES:
            raise InvalidInput(f"types must be a list of at most {MAX_TYPES} event types")
        read = self.core.store.read
        since = _number(p["since"], "since") if p.get("since") is not None else None
        until = _number(p["until"], "until") if p.get("until") is not None else None
        if since is not None and until is not None and until <= since:
            raise InvalidInput("the end of the time range must be after its start")
        if since is not None:
            where.append("at >= ?")
            args.append(since)
        if until is not None:
            where.append("at < ?")
            args.append(until)
        by_type = bool(types) and p.get("door") is None and p.get("person") is None
        by_type = by_type and residents is None and doors is None
        if not by_type:
            # By seq: the range of the log those times cover, found by halving (time grows
            # with seq), so a door's or a person's page never walks its whole history.
            if since is not None:
                where.append("seq >= ?")
                args.append(self._first_seq_at(since))
            if until is not None:
                where.append("seq < ?")
                args.append(self._first_seq_at(until))
        if by_type:
            if before is not None:
                # The + keeps the planner on the type's index, entered at the time of the
                # event the page goes back from (time grows with seq in the log).
                where.append("+seq < ? AND at <= (SELECT at FROM events WHERE seq = ?)")
                args += [before, before]
            cond = " AND ".join(where)
            # Each type newest first from its own index (type, at): a page of rare alarms
            # as fast as a page of passages, and never a sort of the whole log.
            rows = [
                r
                for t in dict.fromkeys(str(t) for t in types)
                for r in read(
                    f"SELECT * FROM events WHERE {cond} AND type = ?"  # noqa: S608
                    " ORDER BY at DESC, seq DESC LIMIT ?",
                    (*args, t, size),
                )
            ]
        else:
            # By seq from the log itself, or from the door's or the person's index.
            if before is not None:
                where.append("seq < ?")
                args.append(before)
            if types:
                where.append(f"+type IN ({','.join('?' * len(types))})")
                args.extend(str(t) for t in types)
            sql = f"SELECT * FROM events WHERE {' AND '.join(where)}"  # noqa: S608
            if doors is not None:
                rows = [
                    r
                    for d in doors
                    for r in read(
                        sql + " AND door_id = ? ORDER BY seq DESC LIMIT ?", (*args, d, size)
                    )
                ]
            elif residents is None:
                rows = read(sql + " ORDER BY seq DESC LIMIT ?", (*args, size))
            else:
                # A unit: each of its people's newest page from the person index, merged
                # below; never a sort of everything the unit's people ever did.
                rows = [
                    r
                    for pid in residents
                    for r in read(
                        sql + " AND person_id = ? ORDER BY seq DESC LIMIT ?", (*args, pid, size)
                    )
                ]
        rows = sorted(rows, key=lambda r: -int(r["seq"]))[:size]
        items = [_event(r).as_dict() for r in rows]
        more = len(items) == size
        return {"items": items, "size": size, "next_before": items[-1]["seq"] if more else None}

    def _unit_people(self, p: dict[str, Any]) -> list[int]:
        """Everyone ever registered to the unit ``p["unit"]`` (moved out too: the unit's
        history is theirs as well)."""
        if p.get("person") is not None:
            raise InvalidInput("ask for a person's events or a unit's, not both")
        unit = str(UnitAddress.parse(str(p["unit"])))
        rows = self.core.store.read(
            "SELECT p.id FROM units u JOIN households h ON h.unit_id = u.id"
            " JOIN people p ON p.household_id = h.id WHERE u.address = ? ORDER BY p.id LIMIT ?",
            (unit, MAX_UNIT_PEOPLE + 1),
        )
        if not rows and not self.core.store.read("SELECT 1 FROM units WHERE address = ?", (unit,)):
            raise InvalidInput(f"unknown unit {unit}")
        if len(rows) > MAX_UNIT_PEOPLE:
            raise InvalidInput(
                f"unit {unit} has had more than {MAX_UNIT_PEOPLE} people; ask for one of them"
            )
        return [int(r["id"]) for r in rows]

    def _first_seq_at(self, at: float) -> int:
        """The first event at or after ``at`` (one past the last event when none is)."""
        read = self.core.store.read
        top = read("SELECT MAX(seq) AS n FROM events")[0]["n"] or 0
        lo, hi = 1, top + 1
        while lo < hi:
            mid = (lo + hi) // 2
            row = read("SELECT at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1", (mid,))
            if row and float(row[0]["at"]) < at:
                lo = mid + 1
            else:
                hi = mid
        return lo


def _number(value: Any, key: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{key} must be a number") from None


def _doors(p: dict[str, Any]) -> list[str] | None:
    """``doors``: the events of any of these doors (a building's), not with ``door``."""
    doors = p.get("doors")
    if doors is None:
        return None
    if p.get("door") is not None:
        raise InvalidInput("ask for one door's events or several doors', not both")
    if (
        not isinstance(doors, list)
        or not 0 < len(doors) <= MAX_DOORS
        or not all(isinstance(d, str) and valid_segment(d) for d in doors)
    ):
        raise InvalidInput(f"doors must be a list of 1 to {MAX_DOORS} door ids")
    return list(dict.fromkeys(doors))
