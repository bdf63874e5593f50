"""Intercom calls (a core extension): a visitor dials a room, the unit's indoor stations ring.

Signalling only; the stations' own SIP/RTSP media stays on the devices. A door panel or an
entrance MCU places, ends and raises emergency calls on its own door's ``intercom/<door>/call``
(an ``IntercomCall``); the broker lets a device write only its own door's topic, and the door of
a call is taken from that topic, never from the body, so a compromised panel can neither ring a
flat as if from another door nor hang up another door's call. The call id is the caller's, so
it listens on ``intercom/<door>/call/<id>/state`` before it dials; a refused dial ends there in a
"failed" state with the reason. The bus API (``call.start``, ``call.hangup``,
``emergency.call``) is for the officer's and managers' consoles, which the ACL trusts with it.
The core rings every station registered for the unit (``intercom/unit/<unit>/ring``), listens
for their replies (``intercom/station/<station>/reply``: answer, reject, unlock, hangup) and
opens only the calling door, only for a station of that unit, only while the call is live.
Busy or unanswered calls go to the property desk; the emergency button calls the officer.
Every call ends in a record with the latest door-camera frame at the time of the call.

Station registry: the ``intercom_stations`` table (``station.add`` / ``station.list``), so
that the property office adds a replaced indoor station without editing files on the box.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import Message
from compound.domain.model import InvalidInput, UnitAddress
from compound.protocol.messages import (
    IntercomCall,
    MessageError,
    decode_object,
    get_segment,
    get_str,
    new_id,
)
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)

LIVE = ("ringing", "answered")
ACTIONS = ("answer", "reject", "unlock", "hangup")
MAX_FRAME = 512 * 1024  # a preview JPEG; anything bigger is not kept
REFUSED_IDS_KEPT = 4096  # ids of refused dials remembered, so that a replay is a duplicate


@dataclass
class Call:
    id: str
    door: str
    group: str  # the unit address, or the desk / officer group
    emergency: bool
    started_at: float
    deadline: float
    state: str = "ringing"
    answered_by: str | None = None
    answered_at: float | None = None
    forwarded_to: str | None = None
    door_opened: bool = False
    snapshot: bytes | None = None
    snapshot_at: float | None = None


class Intercom:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.calls: dict[str, Call] = {}
        self.frames: dict[str, tuple[bytes, float]] = {}  # latest camera frame per door
        self.refused_ids: dict[str, None] = {}  # insertion-ordered, bounded
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ring_timeout(self) -> float:
        return float(self.core.config.intercom.ring_timeout_s)

    def start(self) -> None:
        t, bus = self.core.topics, self.core.bus
        bus.subscribe(t.all("intercom/+/call"), self.on_call)
        bus.subscribe(t.all("intercom/station/+/reply"), self.on_reply)
        bus.subscribe(t.all("face/+/frame"), self.on_frame)
        self._thread = threading.Thread(target=self._timer, name="intercom", daemon=True)
        self._thread.start()

    def offers(self) -> Offers:
        return Offers(
            api={
                "call.start": self.api_start,
                "call.hangup": self.api_hangup,
                "emergency.call": lambda p: self.api_start({**p, "emergency": True}),
                "call.list": self.api_list,
                "station.add": self.api_station_add,
                "station.list": lambda p: self.core.store.query(
                    "SELECT station, ring_group, added_at FROM intercom_stations ORDER BY station"
                ),
            }
        )

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)

    def _timer(self) -> None:
        while not self._stop.wait(0.5):
            self.tick()

    # -- stations --------------------------------------------------------------------------

    def stations(self, group: str) -> list[str]:
        rows = self.core.store.query(
            "SELECT station FROM intercom_stations WHERE ring_group = ?", (group,)
        )
        return [r["station"] for r in rows]

    def station_group(self, station: str) -> str | None:
        row = self.core.store.one(
            "SELECT ring_group FROM intercom_stations WHERE station = ?", (station,)
        )
        return None if row is None else str(row["ring_group"])

    def api_station_add(self, p: dict[str, Any]) -> dict[str, Any]:
        station = str(p.get("station", ""))
        group = str(p.get("unit", ""))
        from compound.protocol.topics import valid_segment

        if not valid_segment(station):
            raise InvalidInput("station id: 1-64 letters, digits, '_', '.', '-'")
        if group not in (self.desk, self.officer):
            group = str(UnitAddress.parse(group))
        with self.core.store.transaction() as conn:
            conn.execute(
                "INSERT INTO intercom_stations (station, ring_group, added_at) VALUES (?, ?, ?)"
                " ON CONFLICT(station) DO UPDATE SET ring_group = excluded.ring_group",
                (station, group, self.core.clock.now()),
            )
        return {"station": station, "unit": group}

    @property
    def desk(self) -> str:
        return str(self.core.config.intercom.desk)

    @property
    def officer(self) -> str:
        return str(self.core.config.intercom.officer)

    # -- calls in --------------------------------------------------------------------------

    def on_call(self, msg: Message) -> None:
        """A call signal from a door's panel or MCU; the door is the topic's, never the body's."""
        parts = self.core.topics.split(msg.topic)
        door = parts[1] if len(parts) == 3 else ""
        try:
            if msg.retain:
                raise MessageError("retained call signal")
            sig = IntercomCall.decode(msg.payload)
        except MessageError as e:
            self.core.counters["intercom.bad_call"] += 1
            log.warning("call on %s refused: %s", msg.topic, e)
            return
        if sig.action == "hangup":
            self.hangup_from(door, sig.call_id)
            return
        if abs(self.core.clock.now() - sig.at) > self.core.config.core.request_max_age_s:
            # A dial held back and sent later (or a clock far off) would ring a flat long after
            # the visitor left; refused like a stale access request.
            self.core.counters["intercom.stale_call"] += 1
            with self.lock:
                self._remember_refused(sig.call_id)
            self._failed(sig.call_id, door, "stale call signal: check the panel's clock")
            return
        with self.lock:
            if self.known_id(sig.call_id):
                # A replay, or a caller reusing an id: the call it names (perhaps another
                # door's) is left alone and nothing is said on its state topic.
                self.core.counters["intercom.duplicate_call"] += 1
                log.warning("call id %s from door %s already used", sig.call_id, door)
                return
            try:
                self.start_call(
                    door,
                    room=sig.room,
                    unit=sig.unit,
                    emergency=sig.action == "emergency",
                    call_id=sig.call_id,
                )
            except InvalidInput as e:
                self.core.counters["intercom.dial_refused"] += 1
                self._remember_refused(sig.call_id)
                self._failed(sig.call_id, door, str(e))

    def hangup_from(self, door: str, call_id: str) -> bool:
        """A door ends a call; only a live call placed from that same door."""
        with self.lock:
            call = self.calls.get(call_id)
            if call is None:
                self.core.counters["intercom.hangup_not_live"] += 1
                return False
            if call.door != door:
                self.core.counters["intercom.hangup_wrong_door"] += 1
                log.warning("door %s tried to hang up call %s of door %s", door, call_id, call.door)
                return False
            self._end(call, "ended")
            return True

    def known_id(self, call_id: str) -> bool:
        if call_id in self.calls or call_id in self.refused_ids:
            return True
        row = self.core.store.one("SELECT 1 FROM call_records WHERE id = ?", (call_id,))
        return row is not None

    def _remember_refused(self, call_id: str) -> None:
        self.refused_ids[call_id] = None
        while len(self.refused_ids) > REFUSED_IDS_KEPT:
            del self.refused_ids[next(iter(self.refused_ids))]

    def _failed(self, call_id: str, door: str, reason: str) -> None:
        """A dial that never rang: the caller, listening on the call's state, is told why."""
        body = {
            "call_id": call_id,
            "state": "failed",
            "door": door,
            "reason": reason,
            "at": self.core.clock.now(),
        }
        self.core.bus.publish(self.core.topics.intercom_call_state(door, call_id), body)

    def api_start(self, p: dict[str, Any]) -> dict[str, Any]:
        call = self.start_call(
            str(p.get("door", "")),
            unit=p.get("unit") if isinstance(p.get("unit"), str) else None,
            room=p.get("room") if isinstance(p.get("room"), str) else None,
            emergency=p.get("emergency") is True,
        )
        return {"call_id": call.id, "state": call.state, "unit": call.group}

    def api_hangup(self, p: dict[str, Any]) -> dict[str, Any]:
        call_id = str(p.get("call_id", ""))
        with self.lock:
            call = self.calls.get(call_id)
            if call is None:
                raise InvalidInput(f"no live call {call_id!r}")
            self._end(call, "ended")
        return {"call_id": call_id, "state": "ended"}

    def api_list(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        limit = min(int(p.get("limit", 50)), 500)
        return self.core.store.query(
            "SELECT id, door_id, ring_group, emergency, started_at, answered_at, ended_at, outcome,"
            " answered_by, forwarded_to, door_opened, snapshot IS NOT NULL AS has_snapshot"
            " FROM call_records ORDER BY started_at DESC LIMIT ?",
            (limit,),
        )

    def resolve(self, door_id: str, room: str | None, unit: str | None) -> str:
        door = self.core.store.door(door_id)
        if door is None:
            raise InvalidInput(f"unknown door {door_id!r}")
        if unit:
            addr = UnitAddress.parse(unit)
        else:
            entrances = [s for s in door.serves if s.entrance is not None and s.room is None]
            if not room or len(entrances) != 1:
                raise InvalidInput("dial building-entrance-room at this door, e.g. 3-2-1501")
            s = entrances[0]
            addr = UnitAddress.parse(f"{s.building}-{s.entrance}-{room}")
        if not door.serves_unit(addr):
            raise InvalidInput(f"{addr} cannot be called from door {door_id}")
        return str(addr)

    def start_call(
        self,
        door: str,
        *,
        room: str | None = None,
        unit: str | None = None,
        emergency: bool,
        call_id: str | None = None,
    ) -> Call:
        if emergency:
            if self.core.store.door(door) is None:
                raise InvalidInput(f"unknown door {door!r}")
            group = self.officer
        else:
            group = self.resolve(door, room, unit)
        now = self.core.clock.now()
        with self.lock:
            call = Call(call_id or new_id(), door, group, emergency, now, now + self.ring_timeout)
            frame = self.frames.get(door)
            if frame is not None:
                call.snapshot, call.snapshot_at = frame
            busy = any(c.group == group and c.state in LIVE for c in self.calls.values())
            self.calls[call.id] = call
            if busy:
                self._state(call, "busy")
                self._forward_or_end(call, "busy")
            else:
                self._ring(call)
        return call

    # -- station replies -------------------------------------------------------------------

    def on_reply(self, msg: Message) -> None:
        parts = self.core.topics.split(msg.topic)
        station = parts[2] if len(parts) == 4 else ""
        try:
            body = decode_object(msg.payload)
            call_id = get_segment(body, "call_id")
            action = get_str(body, "action", max_len=16)
        except MessageError as e:
            self.core.counters["intercom.bad_reply"] += 1
            log.warning("reply on %s refused: %s", msg.topic, e)
            return
        if action not in ACTIONS or msg.retain:
            self.core.counters["intercom.bad_reply"] += 1
            return
        self.reply(station, call_id, action)

    def reply(self, station: str, call_id: str, action: str) -> bool:
        """Apply a station's reply; False (counted) when it may not act on this call."""
        with self.lock:
            call = self.calls.get(call_id)
            group = self.station_group(station)
            if call is None or call.state not in LIVE:
                self.core.counters["intercom.reply_not_live"] += 1
                return False
            if group is None or group != call.group:
                # A station of another unit must never open this door.
                self.core.counters["intercom.reply_wrong_station"] += 1
                log.warning("station %s (%s) replied to call for %s", station, group, call.group)
                return False
            if call.answered_by is not None and call.answered_by != station:
                self.core.counters["intercom.reply_other_station"] += 1
                return False
            now = self.core.clock.now()
            if action == "answer" and call.state == "ringing":
                call.answered_by, call.answered_at = station, now
                self._state(call, "answered")
            elif action == "unlock":
                call.answered_by = station
                call.answered_at = call.answered_at or now
                self.core.send_command(
                    call.door, "unlock", f"intercom: {call.group} station {station}"
                )
                call.door_opened = True
                self._state(call, "door_opened")
                self._end(call, "door_opened")
            elif action == "reject":
                self._state(call, "rejected")
                self._end(call, "rejected")
            elif action == "hangup":
                self._end(call, "ended")
            return True

    # -- camera frames ---------------------------------------------------------------------

    def on_frame(self, msg: Message) -> None:
        parts = self.core.topics.split(msg.topic)
        if len(parts) != 3 or len(msg.payload) > MAX_FRAME:
            return
        # The camera of a door panel carries the door's id; only JPEG data is kept.
        if msg.payload[:2] == b"\xff\xd8":
            self.frames[parts[1]] = (msg.payload, self.core.clock.now())

    # -- time ------------------------------------------------------------------------------

    def tick(self) -> None:
        now = self.core.clock.now()
        with self.lock:
            for call in list(self.calls.values()):
                if call.state == "ringing" and now >= call.deadline:
                    self._state(call, "no_answer")
                    self._forward_or_end(call, "no_answer")

    # -- internals -------------------------------------------------------------------------

    def _ring(self, call: Call) -> None:
        t = self.core.topics
        self._state(call, "ringing")
        body = {
            "call_id": call.id,
            "door": call.door,
            "unit": call.group,
            "emergency": call.emergency,
            "at": self.core.clock.now(),
            "stations": self.stations(call.group),
            # The station shows the visitor from the door camera's preview frames.
            "frame_topic": t.face_frame(call.door),
            "state_topic": t.intercom_call_state(call.door, call.id),
        }
        self.core.bus.publish(t.intercom_ring(call.group), body)

    def _forward_or_end(self, call: Call, why: str) -> None:
        target = self.desk
        if (
            self.core.config.intercom.forward_to_desk
            and call.forwarded_to is None
            and call.group != target
            and not call.emergency
        ):
            call.forwarded_to = target
            call.group = target
            call.deadline = self.core.clock.now() + self.ring_timeout
            call.state = "ringing"
            self._ring(call)
            return
        self._end(call, why)

    def _state(self, call: Call, state: str) -> None:
        call.state = state
        body = {
            "call_id": call.id,
            "state": state,
            "door": call.door,
            "unit": call.group,
            "at": self.core.clock.now(),
        }
        if call.answered_by:
            body["station"] = call.answered_by
        if call.forwarded_to:
            body["forwarded_to"] = call.forwarded_to
        self.core.bus.publish(self.core.topics.intercom_call_state(call.door, call.id), body)

    def _end(self, call: Call, outcome: str) -> None:
        now = self.core.clock.now()
        self.calls.pop(call.id, None)
        if call.state != "ended":
            self._state(call, "ended")
        store = self.core.store
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO call_records (id, door_id, ring_group, emergency, started_at,"
                " answered_at, ended_at, outcome, answered_by, forwarded_to, door_opened,"
                " snapshot, snapshot_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    call.id,
                    call.door,
                    call.group,
                    int(call.emergency),
                    call.started_at,
                    call.answered_at,
                    now,
                    outcome,
                    call.answered_by,
                    call.forwarded_to,
                    int(call.door_opened),
                    call.snapshot,
                    call.snapshot_at,
                ),
            )
            store.append_event(
                "intercom.call",
                door_id=call.door,
                data={
                    "call_id": call.id,
                    "unit": call.group,
                    "reason": outcome,
                    "station": call.answered_by,
                    "snapshot": call.snapshot is not None,
                },
            )
