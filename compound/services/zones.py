"""Alarm zones (区域报警) as the core takes them: a trip becomes the officer's alarm and a
110-linked record for the city platform, with the zone's name.

A bridge reads each zone on its boards' inputs (``firmware_bridge/zones.py``) and publishes the
zone's state, retained, under its own broker user: ``zone/<bridge>/<zone>/state``. The broker's
ACL lets a bridge write only there, so the core knows which bridge speaks (the actor it logs)
and a zone report can never pose as a door. A report names the zone's last trip (``{"id",
"at"}``); each trip id is logged once, as ``zone.tripped`` with the zone's id, name, location,
kind and the bridge, however often the retained state is delivered (every reconnect, every
restart of the core). A trip raises a ``zone`` alarm (severity ``[alerts] zone_severity``)
unless the zone's previous alarm is still unacknowledged: a detector flapping in the wind is
one alarm on the officer's wall, and each trip is still in the log. Perimeter and intrusion
zones are the 110-linked kinds, so the alarm's platform record is marked ``police_110`` and
carries the zone's name and location.

``zone.list`` answers the last state of every zone heard of, for the officer's consoles.
Messages are read on a worker thread of their own (``ApiWorker``), as for Home Assistant's
locks: a database write never holds up the bus's network thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from compound.adapters.bus_types import ApiWorker
from compound.adapters.mqtt import Message
from compound.protocol.messages import (
    MessageError,
    decode_object,
    get_num,
    get_segment,
    get_str,
)
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)

KINDS = ("perimeter", "intrusion")  # both are 110-linked (区域报警 to the police)
STATES = ("normal", "alarm", "offline")
SLACK_S = 86_400.0  # a trip is looked for among the events logged since a day before it


def decode_report(payload: bytes, zone: str) -> dict[str, Any]:
    """A zone state within bounds, for the zone its topic names; ``MessageError`` otherwise."""
    o = decode_object(payload, limit=4096)
    if get_segment(o, "zone") != zone:
        raise MessageError("the report names another zone than its topic")
    kind, state = get_str(o, "kind", max_len=16), get_str(o, "state", max_len=16)
    if kind not in KINDS or state not in STATES:
        raise MessageError(f"unknown zone kind {kind!r} or state {state!r}")
    trip = o.get("trip")
    if trip is not None:
        if not isinstance(trip, dict):
            raise MessageError("field 'trip' must be an object")
        trip = {"id": get_segment(trip, "id"), "at": float(get_num(trip, "at"))}
    return {
        "zone": zone,
        "name": get_str(o, "name", max_len=64, optional=True) or zone,
        "location": get_str(o, "location", max_len=128, optional=True) or "",
        "kind": kind,
        "state": state,
        "trip": trip,
        "at": float(get_num(o, "at")),
    }


class ZoneAlarms:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.filter = core.topics.all("zone/+/+/state")
        self.states: dict[tuple[str, str], dict[str, Any]] = {}
        self._worker = ApiWorker("zones", core.counters, size=256, shed="zone.shed")

    def offers(self) -> Offers:
        return Offers(api={"zone.list": self.api_list})

    def start(self) -> None:
        self.core.bus.subscribe(self.filter, self._worker.wrap(self.on_state))

    def stop(self) -> None:
        self.core.bus.unsubscribe(self.filter)

    def api_list(self, params: dict[str, Any]) -> dict[str, Any]:
        zones = [{**r, "bridge": b} for (b, _), r in sorted(self.states.items())]
        return {"zones": zones}

    def on_state(self, msg: Message) -> None:
        parts = self.core.topics.split(msg.topic)  # ["zone", bridge, zone, "state"]
        counters = self.core.counters
        try:
            if len(parts) != 4:
                raise MessageError("not zone/<bridge>/<zone>/state")
            report = decode_report(msg.payload, parts[2])
        except (MessageError, ValueError, TypeError) as e:
            counters["zone.malformed"] += 1
            log.warning("zone report on %s refused: %s", msg.topic, e)
            return
        bridge = parts[1]
        self.states[(bridge, report["zone"])] = report
        counters[f"zone.report.{report['state']}"] += 1
        if report["trip"] is not None:
            self.trip(bridge, report)

    def trip(self, bridge: str, r: dict[str, Any]) -> bool:
        """Log a trip once and raise its alarm; False when the trip was logged before."""
        store, trip = self.core.store, r["trip"]
        with store.transaction() as c:
            if c.execute(
                "SELECT 1 FROM events WHERE type = 'zone.tripped' AND at >= ?"
                " AND json_extract(data, '$.trip_id') = ? LIMIT 1",
                (min(trip["at"], self.core.clock.now()) - SLACK_S, trip["id"]),
            ).fetchone():
                self.core.counters["zone.trip_again"] += 1
                return False
            about = {
                "zone": r["zone"],
                "name": r["name"],
                "location": r["location"],
                "kind": r["kind"],
                "bridge": bridge,
            }
            store.append_event(
                "zone.tripped",
                data={**about, "actor": bridge, "trip_id": trip["id"], "occurred_at": trip["at"]},
            )
            subject = f"{bridge}/{r['zone']}"
            if c.execute(
                "SELECT 1 FROM alarms WHERE rule = 'zone' AND subject = ?"
                " AND acknowledged_at IS NULL",
                (subject,),
            ).fetchone():
                self.core.counters["zone.alarm_still_open"] += 1
                return True
            where = f" ({r['location']})" if r["location"] else ""
            alarm = store.raise_alarm(
                "zone",
                f"{r['name']}{where}: {r['kind']} alarm",
                severity=self.core.config.alerts.zone_severity,
                data={**about, "what": r["kind"], "trip_id": trip["id"]},
                police_110=True,
                uplink_extra={
                    "zone": r["zone"],
                    "zone_name": r["name"],
                    "location": r["location"],
                    "zone_kind": r["kind"],
                    "occurred_at": trip["at"],
                },
            )
            c.execute(
                "UPDATE alarms SET rule = 'zone', subject = ? WHERE id = ?", (subject, alarm.id)
            )
        self.core.counters["zone.alarm"] += 1
        return True
