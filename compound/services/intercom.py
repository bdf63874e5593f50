"""Intercom calls (a core extension): a visitor dials a room, the unit's indoor stations ring.

Signalling only; the stations' own SIP/RTSP media stays on the devices. A door panel or an entrance
MCU places, ends and raises emergency calls on its own door's ``intercom/<door>/call`` (an
``IntercomCall``); the broker lets a device write only its own door's topic, and the door of a call
is taken from that topic, never from the body, so a compromised panel can neither ring a flat as if
from another door nor hang up another door's call. The call id is the caller's, so it listens on
``intercom/<door>/call/<id>/state`` before it dials; a refused dial ends there in a "failed" state
with the reason and a code a screen translates. The bus API (``call.start``, ``call.hangup``,
``emergency.call``) is for the officer's and managers' consoles, which the ACL trusts with it. The
core rings every station registered for the unit (``intercom/unit/<unit>/ring``), listens for their
replies (``intercom/station/<station>/reply``: answer, reject, unlock, hangup) and opens only the
calling door, only for a station of that unit, only while the call is live. Busy or unanswered calls
go to the property desk; the emergency button calls the officer. Every call ends in a record with
the latest door-camera frame at the time of the call.

The call state machine (states, ring timeout, forwarding, what each reply does) is pure, in
``compound.domain.intercom``; this service keeps the bus subscriptions (flood-counted: see
``services/quarantine.py``), the store writes and the timer thread, and does what it decides.

Station registry: the ``intercom_stations`` table (``station.add`` / ``station.list`` here,
``station.remove`` in ``schedules_api``, ``compound station`` on the command line; rules in
``compound.store.stations``): the property office adds a replaced station without editing files.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from compound.adapters.bus_types import ApiWorker, topic_of
from compound.adapters.mqtt import Message
from compound.domain.intercom import (
    ACTIONS,
    Announce,
    Call,
    CallRules,
    OpenDoor,
    Outputs,
    Record,
    Ring,
    Switchboard,
    TellStations,
    is_stale,
)
from compound.domain.model import InvalidInput
from compound.domain.paging import MAX_SIZE, page_of, whole
from compound.protocol.messages import (
    IntercomCall,
    MessageError,
    decode_object,
    get_segment,
    get_str,
    new_id,
)
from compound.services.emergency import EmergencyDesk
from compound.services.extension import Offers
from compound.services.intercom_dial import DialRefused, refusal_code, resolve_dial
from compound.services.remote_open import remote_unlock

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)

MAX_FRAME = 512 * 1024  # a preview JPEG; anything bigger is not kept


class Intercom:
    def __init__(self, core: Core) -> None:
        self.core = core
        ic = core.config.intercom
        rules = CallRules(
            float(ic.ring_timeout_s),
            ic.desk,
            ic.officer,
            ic.forward_to_desk,
            float(ic.talk_timeout_s),
        )
        self.machine = Switchboard(rules)  # the calls and what each input does to them
        self.emergencies = EmergencyDesk(core.store)
        self.frames: dict[str, tuple[bytes, float]] = {}  # latest camera frame per door
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Call signals and station replies, off the network thread (a long write held up every
        # swipe there), each topic in order, the topics in turn: a flood is shed (intercom.shed).
        self._signals = ApiWorker("intercom", core.counters, 256, "intercom.shed", topic_of)

    @property
    def calls(self) -> dict[str, Call]:
        """The live calls, by id."""
        return self.machine.calls

    def start(self) -> None:
        t, bus = self.core.topics, self.core.bus
        self._signals.start()  # again after a stop
        count = self.core.arrivals.counting
        for pattern, handler in (("+/call", self.on_call), ("station/+/reply", self.on_reply)):
            bus.subscribe(t.all("intercom/" + pattern), count(self._signals.wrap(handler)))
        bus.subscribe(t.all("face/+/frame"), self.on_frame)  # the face service's own
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
            }
        )

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        self._signals.stop()

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
        return self.core.store.add_station(
            str(p.get("station", "")), str(p.get("unit", "")), (self.desk, self.officer)
        )

    @property
    def desk(self) -> str:
        return self.machine.rules.desk

    @property
    def officer(self) -> str:
        return self.machine.rules.officer

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
        now = self.core.clock.now()
        if is_stale(sig.at, now, self.core.config.core.request_max_age_s):
            self.core.counters["intercom.stale_call"] += 1
            with self.lock:
                reason = "stale call signal: check the panel's clock"
                self._carry_out(self.machine.refuse(sig.call_id, door, reason, now, "stale"))
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
                now = self.core.clock.now()
                code = refusal_code(e)
                self._carry_out(self.machine.refuse(sig.call_id, door, str(e), now, code))

    def hangup_from(self, door: str, call_id: str) -> bool:
        """A door ends a call; only a live call placed from that same door."""
        with self.lock:
            out = self.machine.hang_up(call_id, self.core.clock.now(), door=door)
            if out.refused == "hangup_wrong_door":
                other = self.machine.calls[call_id].door
                log.warning("door %s tried to hang up call %s of door %s", door, call_id, other)
            return self._carry_out(out)

    def known_id(self, call_id: str) -> bool:
        if self.machine.knows(call_id):
            return True
        row = self.core.store.one("SELECT 1 FROM call_records WHERE id = ?", (call_id,))
        return row is not None

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
            out = self.machine.hang_up(call_id, self.core.clock.now())
            if out.refused is not None:
                raise InvalidInput(f"no live call {call_id!r}")
            self._carry_out(out)
        return {"call_id": call_id, "state": "ended"}

    def api_list(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        """The latest calls, newest first: ``limit`` (at most 200) from ``page``."""
        page = page_of({"page": p.get("page"), "size": whole(p, "limit", 50, 1, MAX_SIZE)})
        return self.core.store.read(
            "SELECT id, door_id, ring_group, emergency, started_at, answered_at, ended_at, outcome,"
            " answered_by, forwarded_to, door_opened, snapshot IS NOT NULL AS has_snapshot"
            " FROM call_records ORDER BY started_at DESC LIMIT ? OFFSET ?",
            (page.size, page.offset),
        )

    def resolve(self, door_id: str, room: str | None, unit: str | None) -> str:
        """The unit a dial rings; DialRefused (with its code) when it must not ring."""
        return resolve_dial(self.core.store, door_id, room, unit)

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
                raise DialRefused("unknown_door", f"unknown door {door!r}")
            group: str | None = None  # the machine calls the officer
        else:
            group = self.resolve(door, room, unit)
        now = self.core.clock.now()
        with self.lock:
            call, out = self.machine.dial(
                call_id or new_id(),
                door,
                group,
                emergency=emergency,
                now=now,
                snapshot=self.frames.get(door),
            )
            self._carry_out(out)
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
            group = self.station_group(station)
            now, lockdown = self.core.clock.now(), self.core.store.lockdown()
            out = self.machine.reply(station, group, call_id, action, now, lockdown)
            if out.refused == "reply_wrong_station":
                want = self.machine.calls[call_id].group
                log.warning("station %s (%s) replied to call for %s", station, group, want)
            return self._carry_out(out)

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
            self._carry_out(self.machine.tick(now))

    # -- carrying out the machine's decisions ----------------------------------------------

    def _carry_out(self, out: Outputs) -> bool:
        """Do what the machine decided, in order; False (counted) when it refused the input."""
        if out.refused is not None:
            self.core.counters[f"intercom.{out.refused}"] += 1
            return False
        for effect in out.effects:
            if isinstance(effect, Announce):
                topic = self.core.topics.intercom_call_state(effect.door, effect.call_id)
                self.core.bus.publish(topic, effect.body)
            elif isinstance(effect, Ring):
                self._ring(effect)
                self.emergencies.on_ring(effect)
            elif isinstance(effect, OpenDoor) and effect.override:
                # The officer opening an emergency's door in a lockdown: a logged override.
                c, station = self.core, str(effect.station)
                args = (effect.door, effect.reason, f"officer station {station}", station)
                remote_unlock(c.store, c.counters, c.send_command, *args, True, ("station",))
            elif isinstance(effect, OpenDoor):
                self.core.send_command(effect.door, "unlock", effect.reason)
            elif isinstance(effect, TellStations):
                self.core.bus.publish(self.core.topics.intercom_ring(effect.group), effect.body)
                data = {k: effect.body[k] for k in ("call_id", "station", "reason")}
                self.core.store.append_event(
                    "intercom.unlock_refused", door_id=effect.body["door"], data=data
                )
            elif isinstance(effect, Record):
                self._record(effect)
                self.emergencies.on_record(effect)
        return True

    def _ring(self, ring: Ring) -> None:
        t = self.core.topics
        body = {
            "call_id": ring.call_id,
            "door": ring.door,
            "unit": ring.group,
            "emergency": ring.emergency,
            "at": ring.at,
            "stations": self.stations(ring.group),
            # The station shows the visitor from the door camera's preview frames.
            "frame_topic": t.face_frame(ring.door),
            "state_topic": t.intercom_call_state(ring.door, ring.call_id),
        }
        self.core.bus.publish(t.intercom_ring(ring.group), body)

    def _record(self, rec: Record) -> None:
        call, store = rec.call, self.core.store
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
                    rec.ended_at,
                    rec.outcome,
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
                    "reason": rec.outcome,
                    "station": call.answered_by,
                    "snapshot": call.snapshot is not None,
                },
            )
