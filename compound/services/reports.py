"""Reports for the property office and the police: CSV exports and the daily summary."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from compound.domain.clock import iso
from compound.domain.model import InvalidInput, mask_id_number
from compound.domain.paging import page_of, whole
from compound.services import rental
from compound.store.db import Store


def door_buildings(store: Store) -> dict[str, str]:
    """Door id -> the building it belongs to ("3"), or "gate" for doors of the whole site."""
    out: dict[str, str] = {}
    for d in store.doors():
        buildings = {s.building for s in d.serves}
        one = len(buildings) == 1 and None not in buildings
        out[d.id] = str(buildings.pop()) if one else "gate"
    return out


def day_bounds(store: Store, day: date) -> tuple[float, float]:
    start = datetime.combine(day, time(0), tzinfo=store.tz)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def passages(store: Store, since: float, until: float) -> list[dict[str, Any]]:
    rows = store.read(
        "SELECT e.seq, e.at, e.type, e.door_id, e.person_id, e.data, p.name, u.address AS unit"
        " FROM events e LEFT JOIN people p ON p.id = e.person_id"
        " LEFT JOIN households h ON h.id = p.household_id LEFT JOIN units u ON u.id = h.unit_id"
        " WHERE e.type IN ('access.granted', 'access.denied') AND e.at >= ? AND e.at < ?"
        " ORDER BY e.seq",
        (since, until),
    )
    out = []
    for r in rows:
        data = json.loads(r["data"])
        out.append(
            {
                "seq": r["seq"],
                "time": iso(r["at"]),
                "door": r["door_id"],
                "granted": r["type"] == "access.granted",
                "credential": data.get("kind"),
                "reason": data.get("reason"),
                "person_id": r["person_id"],
                "name": r["name"],
                "unit": r["unit"],
            }
        )
    return out


def alerts(store: Store, since: float, until: float) -> list[dict[str, Any]]:
    rows = store.read(
        "SELECT id, raised_at, kind, rule, subject, severity, door_id, person_id, message,"
        " acknowledged_at, acknowledged_by, note FROM alarms"
        " WHERE raised_at >= ? AND raised_at < ? ORDER BY id",
        (since, until),
    )
    for r in rows:
        r["raised"] = iso(r.pop("raised_at"))
        ack = r.pop("acknowledged_at")
        r["acknowledged"] = iso(ack) if ack is not None else None
    return rows


def tenants(store: Store) -> list[dict[str, Any]]:
    return rental.tenant_register(store, include_moved_out=False)


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    if not rows:
        return ""
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _csv_value(v) for k, v in r.items()})
    return buf.getvalue()


def _csv_value(v: Any) -> Any:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v


def hourly(store: Store, now: float, hours: int) -> list[dict[str, Any]]:
    """Entries (granted passages) per clock hour for the last ``hours`` hours, oldest first."""
    if not 1 <= hours <= 24 * 31:
        raise InvalidInput("hours must be between 1 and 744")
    end = (int(now) // 3600 + 1) * 3600
    start = end - hours * 3600
    # Counted by SQLite, which lets go of the GIL while it works: 24 rows cross into Python,
    # not a day's 50,000 passages (that held the GIL ~0.2 s and delayed the door decisions).
    # One range count per hour on the (type, at) index: grouping by a computed hour sorted
    # every passage of the day in a temporary B-tree, several times slower.
    counts = {
        int(r["h"]): int(r["n"])
        for r in store.read(
            "WITH RECURSIVE hours(h) AS (SELECT 0 UNION ALL SELECT h + 1 FROM hours WHERE h < ?)"
            " SELECT h, (SELECT COUNT(*) FROM events WHERE type = 'access.granted'"
            "   AND at >= ? + h * 3600 AND at < ? + (h + 1) * 3600) AS n FROM hours",
            (hours - 1, start, start),
        )
    }
    return [
        {"hour": iso(start + i * 3600), "at": start + i * 3600, "entries": counts.get(i, 0)}
        for i in range(hours)
    ]


def daily(store: Store, day: date) -> dict[str, Any]:
    """Entries per building per hour (site time), alerts raised and acknowledged that day."""
    since, until = day_bounds(store, day)
    buildings = door_buildings(store)
    per: dict[str, list[int]] = defaultdict(lambda: [0] * 24)
    denied = 0
    for r in store.read(
        "SELECT at, type, door_id FROM events WHERE type IN ('access.granted','access.denied')"
        " AND at >= ? AND at < ?",
        (since, until),
    ):
        if r["type"] == "access.denied":
            denied += 1
            continue
        hour = datetime.fromtimestamp(r["at"], store.tz).hour
        per[buildings.get(r["door_id"], r["door_id"] or "?")][hour] += 1
    raised = store.read(
        "SELECT kind, severity FROM alarms WHERE raised_at >= ? AND raised_at < ?", (since, until)
    )
    acked = store.one(
        "SELECT COUNT(*) AS n FROM alarms WHERE acknowledged_at >= ? AND acknowledged_at < ?",
        (since, until),
    )
    return {
        "date": day.isoformat(),
        "entries_per_building_hour": {b: per[b] for b in sorted(per)},
        "entries_total": sum(sum(v) for v in per.values()),
        "denied_total": denied,
        "alerts_raised": len(raised),
        "alerts_raised_by_kind": dict(Counter(r["kind"] for r in raised)),
        "alerts_acknowledged": acked["n"] if acked else 0,
        "alerts_open": len(store.alarms(open_only=True, limit=100_000)),
    }


PASSAGES = 60  # a person's passages in one reply, unless asked for more
MAX_PASSAGES = 500
MAX_REPLY_PASSAGES = 2000  # people on a page × passages each: one reply stays a few 100 kB


def passages_of(store: Store, p: dict[str, Any]) -> dict[str, Any]:
    """A person's passage history, found by id, name or ID number (the number stays masked).
    A name may match many people: ``total`` says how many, ``page`` (20 a page) which. Each
    person's newest ``passages`` (60, what the wall lists; at most 500), older than event
    ``before`` when given; ``next_before`` asks for the ones before those (None: no more).
    After 200 days a resident has some 400: all of them took 13 ms and 78 KB a person."""
    page, total = page_of({}, default_size=20), 0
    limit = whole(p, "passages", PASSAGES, 1, MAX_PASSAGES)
    before = whole(p, "before", 0, 0, 2**62)
    if p.get("person") not in (None, ""):
        try:
            ids = [int(p["person"])]
        except (TypeError, ValueError):
            raise InvalidInput("person must be a number") from None
    elif p.get("id_number"):
        ids = [
            r["id"]
            for r in store.read(
                # Sealed at rest: found by the keyed hash (compound/store/id_numbers.py).
                "SELECT id FROM people WHERE id_hash = ?",
                (store.ids.hash(str(p["id_number"])),),
            )
        ]
    elif p.get("name"):
        page = page_of(p, default_size=20)
        if page.size * limit > MAX_REPLY_PASSAGES:
            raise InvalidInput(
                f"ask for at most {MAX_REPLY_PASSAGES} passages in all"
                " (people on a page times passages each)"
            )
        like = ("%" + str(p["name"]).strip() + "%",)
        total = store.read("SELECT COUNT(*) AS n FROM people WHERE name LIKE ?", like)[0]["n"]
        ids = [
            r["id"]
            for r in store.read(
                "SELECT id FROM people WHERE name LIKE ? ORDER BY id LIMIT ? OFFSET ?",
                (*like, page.size, page.offset),
            )
        ]
    else:
        raise InvalidInput("search by person, name or id_number")
    people = []
    for pid in ids:
        person = store.person(pid)
        evs = store.events(
            person_id=pid,
            types=["access.granted", "access.denied"],
            limit=limit,
            newest_first=True,
            before=before or None,
        )
        people.append(
            {
                "id": pid,
                "name": person.name,
                "unit": str(person.unit),
                "role": str(person.role),
                "id_number": mask_id_number(person.id_number),
                "passages": [
                    {
                        "seq": e.seq,
                        "at": e.at,
                        "time": iso(e.at),
                        "door": e.door_id,
                        "granted": e.type == "access.granted",
                        "credential": e.data.get("kind"),
                        "reason": e.data.get("reason"),
                    }
                    for e in evs
                ],
                "next_before": evs[-1].seq if len(evs) == limit else None,
            }
        )
    return {"people": people, "total": max(total, len(people)), "page": page.page}
