"""Which alarm zones are armed, in the store: a zone is armed unless the officer disarmed it, and
a 24-hour zone (panic, smoke, gas, water) is always armed. Every change is logged with the name
the officer gave and the broker user that asked."""

from __future__ import annotations

from typing import Any

from compound.config import ALWAYS_ARMED_ZONES
from compound.domain.model import InvalidInput
from compound.store.db import Store


def is_armed(store: Store, bridge: str, zone: str, kind: str) -> bool:
    if kind in ALWAYS_ARMED_ZONES:
        return True
    row = store.one("SELECT armed FROM zone_arming WHERE bridge = ? AND zone = ?", (bridge, zone))
    return row is None or bool(row["armed"])


def armed_map(store: Store) -> dict[tuple[str, str], bool]:
    return {
        (r["bridge"], r["zone"]): bool(r["armed"])
        for r in store.query("SELECT bridge, zone, armed FROM zone_arming")
    }


def set_armed(
    store: Store, bridge: str, zone: str, kind: str, armed: bool, by: str, actor: str, why: str
) -> dict[str, Any]:
    by = by.strip()
    if not by:
        raise InvalidInput("say who arms or disarms the zone (--by NAME); it goes in the log")
    if not armed and kind in ALWAYS_ARMED_ZONES:
        raise InvalidInput(
            f"zone {zone} is a {kind} zone, armed day and night; it cannot be disarmed"
        )
    now = store.clock.now()
    with store.transaction() as c:
        c.execute(
            "INSERT INTO zone_arming (bridge, zone, armed, by, actor, at) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT(bridge, zone) DO UPDATE SET armed = excluded.armed, by = excluded.by,"
            " actor = excluded.actor, at = excluded.at",
            (bridge, zone, int(armed), by, actor, now),
        )
        data = {"bridge": bridge, "zone": zone, "by": by, "actor": actor}
        if why:
            data["reason"] = why
        store.append_event("zone.armed" if armed else "zone.disarmed", data=data)
    return {"bridge": bridge, "zone": zone, "armed": armed, "by": by, "at": now}
