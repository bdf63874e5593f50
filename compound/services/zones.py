"""Alarm zones (区域报警) as the core takes them: a trip of an armed zone becomes the officer's
alarm and, for the 110-linked kinds, a record for the police's 110 desk, with the zone's name.

A bridge reads each zone on its boards' inputs (``firmware_bridge/zones.py``) and publishes the
zone's state, retained, under its own broker user: ``zone/<bridge>/<zone>/state``. The broker's
ACL lets a bridge write only there, so the core knows which bridge speaks (the actor it logs)
and a zone report can never pose as a door. A report names the zone's last trip and last tamper
(``{"id", "at"}`` each); each id is logged once (``zone.tripped``, ``zone.tamper``, with the
zone's id, name, location, kind and the bridge), however often the retained state is delivered
(every reconnect, every restart of the core).

- A trip of an armed zone raises a ``zone`` alarm (severity ``[alerts] zone_severity``) unless
  the zone's previous alarm is still unacknowledged: a detector flapping in the wind is one
  alarm on the officer's wall, and each trip is still in the log. Perimeter, intrusion and
  panic zones are 110-linked: the platform record is marked ``police_110``; every zone alarm's
  record carries the zone's name and location. A trip of a disarmed zone is logged with
  ``armed: false`` and raises nothing.
- A cut or shorted loop (the board's end-of-line supervision bit) raises ``zone_tamper`` (high),
  armed or not: a disarmed zone with a cut wire is still a wire someone cut.
- Arming (``zone.arm`` ``{"zone", "bridge"?, "by", "schedule"?}`` / ``zone.disarm`` ``{"zone",
  "bridge"?, "by", "reason"?}``, from a console only, logged with the broker user and the name
  given; ``compound zone``): a zone is armed until disarmed, or armed within a schedule's hours
  only; 24-hour kinds (panic, smoke, gas, water) cannot be disarmed.

``zone.list`` answers the last state of every zone heard of, with whether it is armed. Messages
are read on a worker thread of their own (``ApiWorker``), as for Home Assistant's locks: a
database write never holds up the bus's network thread.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from compound.adapters.bus_types import ApiWorker
from compound.adapters.mqtt import Message
from compound.config import ALWAYS_ARMED_ZONES
from compound.domain.model import InvalidInput
from compound.domain.paging import MAX_SIZE, page_of
from compound.protocol.messages import (
    MessageError,
    decode_object,
    get_num,
    get_segment,
    get_str,
)
from compound.protocol.topic_floods import MAX_ZONES
from compound.services.askers import consoles_only
from compound.services.extension import Offers
from compound.store import zone_arming

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)

KINDS = ("perimeter", "intrusion", *ALWAYS_ARMED_ZONES)
POLICE_110 = ("perimeter", "intrusion", "panic")  # passed to the police's 110 desk
STATES = ("normal", "alarm", "tamper", "offline")
SLACK_S = 86_400.0  # a trip is looked for among the events logged since a day before it
# Zones one bridge may name (``MAX_ZONES``, in ``protocol.topic_floods`` with the limit on a
# bridge's reports): its boards' inputs and its MCUs' 16 each, with room to spare. Each zone
# heard is kept for good; a bridge naming ever new ones would grow the core without end.


def _record(o: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = o.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MessageError(f"field {key!r} must be an object")
    return {"id": get_segment(value, "id"), "at": float(get_num(value, "at"))}


def decode_report(payload: bytes, zone: str) -> dict[str, Any]:
    """A zone state within bounds, for the zone its topic names; ``MessageError`` otherwise."""
    o = decode_object(payload, limit=4096)
    if get_segment(o, "zone") != zone:
        raise MessageError("the report names another zone than its topic")
    kind, state = get_str(o, "kind", max_len=16), get_str(o, "state", max_len=16)
    if kind not in KINDS or state not in STATES:
        raise MessageError(f"unknown zone kind {kind!r} or state {state!r}")
    return {
        "zone": zone,
        "name": get_str(o, "name", max_len=64, optional=True) or zone,
        "location": get_str(o, "location", max_len=128, optional=True) or "",
        "kind": kind,
        "state": state,
        "trip": _record(o, "trip"),
        "tamper": _record(o, "tamper"),
        "at": float(get_num(o, "at")),
    }


def _bridge_of(msg: Message) -> str:
    return msg.topic.rsplit("/", 2)[0]  # zone/<bridge>/<zone>/state without <zone>/state


def _bridge_key(msg: Message) -> str:
    return _bridge_of(msg) + "/+/state"  # the bridge's pattern (``protocol.topic_floods``)


class ZoneAlarms:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.filter = core.topics.all("zone/+/+/state")
        self.states: dict[tuple[str, str], dict[str, Any]] = {}
        self._zones: Counter[str] = Counter()  # zones heard per bridge
        # Each bridge's reports wait apart (zone/<bridge>/...), the bridges in turn: a report is
        # sent again only when its zone changes, so one bridge's flood must not drop another's.
        self._worker = ApiWorker("zones", core.counters, 256, "zone.shed", _bridge_of)

    def offers(self) -> Offers:
        return Offers(
            api={
                "zone.list": self.api_list,
                "zone.arm": lambda p: self.api_arm(p, True),
                "zone.disarm": lambda p: self.api_arm(p, False),
            }
        )

    def start(self) -> None:
        self._worker.start()  # again after a stop
        # Counted per bridge where they arrive, for the flood quarantine (a bridge names its zones).
        count = self.core.arrivals.counting(self._worker.wrap(self.on_state), _bridge_key)
        self.core.bus.subscribe(self.filter, count)

    def stop(self) -> None:
        self.core.bus.unsubscribe(self.filter)
        self._worker.stop()

    # -- the API -----------------------------------------------------------------------------

    def api_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """The zones heard of, one page ({page, size}: at most 200) with ``total``; ``armed`` is
        whether a trip now raises an alarm."""
        store, set_by = self.core.store, zone_arming.arming(self.core.store)
        page, heard = page_of(params, default_size=MAX_SIZE), sorted(self.states.items())
        zones = [
            {
                **r,
                "bridge": b,
                "armed": zone_arming.is_armed(store, b, z, r["kind"]),
                "schedule": set_by.get((b, z), {}).get("schedule"),
            }
            for (b, z), r in heard[page.offset : page.offset + page.size]
        ]
        return {"zones": zones, "total": len(heard), "page": page.page, "size": page.size}

    def api_arm(self, p: dict[str, Any], armed: bool) -> dict[str, Any]:
        actor = consoles_only(
            self.core.store, p, "zones are armed and disarmed from the officer's console"
        )
        key = self.find(str(p.get("zone", "")), p.get("bridge"))
        kind = self.states[key]["kind"]
        by, why = str(p.get("by", "")), str(p.get("reason", ""))[:200]
        schedule = p.get("schedule")
        schedule = None if schedule in (None, "") else str(schedule)
        return zone_arming.set_armed(
            self.core.store, *key, kind, armed, by, actor, why, schedule=schedule
        )

    def find(self, zone: str, bridge: object = None) -> tuple[str, str]:
        """The (bridge, zone) heard of by that name (and bridge, when given), or
        ``InvalidInput`` naming the zones heard."""
        known = [k for k in self.states if k[1] == zone and bridge in (None, k[0])]
        if len(known) != 1:
            heard = ", ".join(sorted(f"{b}/{z}" for b, z in self.states)) or "none yet"
            raise InvalidInput(
                f"unknown zone {zone!r} (say its bridge if two share it); heard: {heard}"
            )
        return known[0]

    # -- reports from the bridges ------------------------------------------------------------

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
        key = (bridge, report["zone"])
        if key not in self.states:
            if self._zones[bridge] >= MAX_ZONES:
                counters["zone.too_many"] += 1
                log.warning("zone report on %s refused: %s names too many zones", msg.topic, bridge)
                return
            self._zones[bridge] += 1
        self.states[key] = report
        counters[f"zone.report.{report['state']}"] += 1
        if report["trip"] is not None:
            self.trip(bridge, report, "trip")
        if report["tamper"] is not None:
            self.trip(bridge, report, "tamper")

    def trip(self, bridge: str, r: dict[str, Any], what: str = "trip") -> bool:
        """Log a trip (or tamper) once and raise its alarm; False when it was logged before."""
        store, rec = self.core.store, r[what]
        event = "zone.tripped" if what == "trip" else "zone.tamper"
        with store.transaction() as c:
            if c.execute(
                "SELECT 1 FROM events WHERE type = ? AND at >= ?"
                " AND json_extract(data, '$.trip_id') = ? LIMIT 1",
                (event, min(rec["at"], self.core.clock.now()) - SLACK_S, rec["id"]),
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
            # Armed when it happened (a trip heard late is judged by its own time).
            armed = what == "tamper" or zone_arming.is_armed(
                store, bridge, r["zone"], r["kind"], rec["at"]
            )
            data = {**about, "actor": bridge, "trip_id": rec["id"], "occurred_at": rec["at"]}
            store.append_event(event, data=data if armed else {**data, "armed": False})
            if not armed:
                self.core.counters["zone.disarmed_trip"] += 1
                return True
            self._raise(c, bridge, r, what, about, rec)
        return True

    def _raise(
        self,
        c: Any,
        bridge: str,
        r: dict[str, Any],
        what: str,
        about: dict[str, Any],
        rec: dict[str, Any],
    ) -> None:
        kind = "zone" if what == "trip" else "zone_tamper"
        subject = f"{bridge}/{r['zone']}"
        if c.execute(
            "SELECT 1 FROM alarms WHERE rule = ? AND subject = ? AND acknowledged_at IS NULL",
            (kind, subject),
        ).fetchone():
            self.core.counters["zone.alarm_still_open"] += 1
            return
        where = f" ({r['location']})" if r["location"] else ""
        words = f"{r['kind']} alarm" if what == "trip" else "loop cut or shorted (tamper)"
        alarm = self.core.store.raise_alarm(
            kind,
            f"{r['name']}{where}: {words}",
            severity=self.core.config.alerts.zone_severity if what == "trip" else "high",
            # "kind" in an alarm's data is the alarm's kind (zone); the zone's own is "what".
            data={**{k: v for k, v in about.items() if k != "kind"}, "what": r["kind"]}
            | {"trip_id": rec["id"]},
            police_110=what == "trip" and r["kind"] in POLICE_110,
            uplink_extra={
                "zone": r["zone"],
                "zone_name": r["name"],
                "location": r["location"],
                "zone_kind": r["kind"],
                "occurred_at": rec["at"],
            },
        )
        c.execute("UPDATE alarms SET rule = ?, subject = ? WHERE id = ?", (kind, subject, alarm.id))
        self.core.counters[f"zone.{kind}"] += 1
