"""``compound zone list|arm|disarm``: the alarm zones the bridges report, through the core.

Arming goes through the core like every door action, so the log names the broker user that
asked beside the name given (``--by``); ``arm --schedule NAME`` arms a zone only within that
schedule's hours (``compound schedule add``); a 24-hour zone (panic, smoke, gas, water) cannot be
disarmed. Zones are wired in the bridge's config (``[[bridge.zones]]``, docs/serial-protocol.md).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from compound.app.context import Context, parsers


def cmd_zone_list(ctx: Context) -> int:
    zones: list[dict[str, Any]] = []
    while True:  # the core answers a page at a time: ask until every zone is in
        reply = ctx.api("zone.list", {"page": len(zones) // 200 + 1, "size": 200})
        zones += reply["zones"]
        if not reply["zones"] or len(zones) >= int(reply.get("total", 0)):
            break

    def text() -> str:
        lines = []
        for z in zones:
            trip = z.get("trip")
            last = time.strftime("%m-%d %H:%M", time.localtime(trip["at"])) if trip else "never"
            armed = "armed" if z["armed"] else "DISARMED"
            if z.get("schedule"):
                armed += f" ({z['schedule']})"
            lines.append(
                f"{z['bridge']}/{z['zone']:<16} {z['kind']:<10} {z['state']:<8} {armed:<9}"
                f" last trip {last}  {z['name']}"
            )
        return "\n".join(lines) or "no zone has reported yet"

    ctx.out(zones, text)
    return 0


def _arm(ctx: Context, armed: bool) -> int:
    a = ctx.args
    params: dict[str, Any] = {"zone": a.zone, "by": a.by or os.environ.get("USER", "officer")}
    if a.bridge:
        params["bridge"] = a.bridge
    if getattr(a, "reason", None):
        params["reason"] = a.reason
    if getattr(a, "schedule", None):
        params["schedule"] = a.schedule
    r = ctx.api("zone.arm" if armed else "zone.disarm", params)
    hours = f" within the hours of {r['schedule']}" if r.get("schedule") else ""
    what = "armed" if armed else "disarmed"
    ctx.out(r, f"zone {r['bridge']}/{r['zone']} {what}{hours} by {r['by']}")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    add, group = parsers(sub, common)
    g = group("zone", "alarm zones (perimeter, intrusion, 24-hour): list, arm, disarm")
    add(g, "list", cmd_zone_list, "every zone the bridges reported: state, armed, last trip")
    for name, armed in (("arm", True), ("disarm", False)):
        sp = add(g, name, lambda ctx, armed=armed: _arm(ctx, armed), f"{name} a zone")
        sp.add_argument("zone", help="the zone's id ([[bridge.zones]] id)")
        sp.add_argument("--bridge", help="the bridge reporting it, if two have a zone so named")
        sp.add_argument("--by", help="who does it (logged beside the broker user)")
        if armed:
            sp.add_argument(
                "--schedule", help="armed only within this schedule's hours (compound schedule)"
            )
        else:
            sp.add_argument("--reason", help="why (logged), e.g. maintenance of the fence")
