"""Which alarm zones are armed, in the store: a zone is armed unless the officer disarmed it, or
armed only within a schedule's hours when the officer armed it by one (the perimeter at night,
say; public holidays and worked weekend days count as they do for doors); a 24-hour zone
(panic, smoke, gas, water) is always armed. Every change is logged with the name the officer
gave and the broker user that asked. A schedule removed later leaves the zone armed at all
hours: a missing schedule must never silence a zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from compound.config import ALWAYS_ARMED_ZONES
from compound.domain.model import InvalidInput
from compound.store.db import Store


def is_armed(store: Store, bridge: str, zone: str, kind: str, at: float | None = None) -> bool:
    if kind in ALWAYS_ARMED_ZONES:
        return True
    row = store.one(
        "SELECT armed, schedule_id FROM zone_arming WHERE bridge = ? AND zone = ?", (bridge, zone)
    )
    if row is None:
        return True
    if not row["armed"]:
        return False
    sched = store.schedules().get(row["schedule_id"]) if row["schedule_id"] is not None else None
    if sched is None:
        return True
    local = datetime.fromtimestamp(store.clock.now() if at is None else at, store.tz)
    day = local.date()
    return sched.allows(
        local.weekday(),
        local.hour * 60 + local.minute,
        day in store.holidays(),
        day in store.workdays(),
    )


def arming(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    """Each zone the officer armed or disarmed: armed, and the schedule's name if by one."""
    names = {sid: s.name for sid, s in store.schedules().items()}
    return {
        (r["bridge"], r["zone"]): {
            "armed": bool(r["armed"]),
            "schedule": names.get(r["schedule_id"]) if r["schedule_id"] is not None else None,
        }
        for r in store.query("SELECT bridge, zone, armed, schedule_id FROM zone_arming")
    }


def set_armed(
    store: Store,
    bridge: str,
    zone: str,
    kind: str,
    armed: bool,
    by: str,
    actor: str,
    why: str,
    schedule: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Arm (at all hours, or within ``schedule``'s hours) or disarm a zone, logged; ``extra``
    goes in the log too (the duty officer the core identified at the wall: id, badge, how)."""
    by = by.strip()
    if not by:
        raise InvalidInput("say who arms or disarms the zone (--by NAME); it goes in the log")
    if not armed and kind in ALWAYS_ARMED_ZONES:
        raise InvalidInput(
            f"zone {zone} is a {kind} zone, armed day and night; it cannot be disarmed"
        )
    if schedule is not None and (not armed or kind in ALWAYS_ARMED_ZONES):
        raise InvalidInput("a schedule arms a perimeter or intrusion zone (zone arm --schedule)")
    now = store.clock.now()
    with store.transaction() as c:
        sid = store.schedule_ref(schedule)
        c.execute(
            "INSERT INTO zone_arming (bridge, zone, armed, by, actor, at, schedule_id)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT(bridge, zone) DO UPDATE SET"
            " armed = excluded.armed, by = excluded.by, actor = excluded.actor,"
            " at = excluded.at, schedule_id = excluded.schedule_id",
            (bridge, zone, int(armed), by, actor, now, sid),
        )
        data: dict[str, Any] = {"bridge": bridge, "zone": zone, "by": by, "actor": actor}
        data.update(extra or {})
        if why:
            data["reason"] = why
        if sid is not None:
            data["schedule"] = schedule
        store.append_event("zone.armed" if armed else "zone.disarmed", data=data)
    out = {"bridge": bridge, "zone": zone, "armed": armed, "by": by, "at": now}
    return {**out, "schedule": schedule} if sid is not None else out
