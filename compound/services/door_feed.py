"""Door events and states as the core takes them: alarms for forced, held, tamper and fire,
logged events for the rest, and the last state each door reported.

A door event with an id comes from an adapter that keeps it until the core has logged it (the
bridge's journal) and sends it again until then. The core logs an id once: an event already in
the log is not logged again. Either way it acknowledges the id on ``door/<door>/event/ack``
after the log transaction has committed, and only then does the bridge forget the event.

Each door may send so many events a second (``compound.domain.door_event_limit``); beyond that
an event is dropped, counted (``door_event.shed.rate``) and not acknowledged, so an honest
adapter sends it again later and loses nothing, while a hostile one fills neither the log nor
the officer's alarm queue. A flood raises one ``event_flood`` alarm per door per window; the
first fire, forced or tamper event of a flood still gets through.

The bridge answers every door command on ``door/<door>/ack``; a refusal (``ok: false``: expired,
replayed, lockdown, door offline...) is logged as ``door.command_refused`` with its reason, so
the operator who asked for the unlock sees on the event stream that the door did not open.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from compound.adapters.bus_types import ApiWorker, topic_of
from compound.adapters.mqtt import Bus, Message
from compound.domain.clock import Clock
from compound.domain.door_event_limit import DoorEventLimiter, EventRules
from compound.protocol.messages import DoorEvent, MessageError, decode_object, get_str
from compound.protocol.topics import Topics
from compound.services.extension import Offers
from compound.services.topic_counts import TopicCounts
from compound.store.db import Store

log = logging.getLogger(__name__)

# Door events that are alarms in themselves, with their severity.
ALARM_EVENTS = {
    "forced_open": ("high", "door forced open"),
    "held_open": ("medium", "door held open"),
    "tamper": ("high", "reader or lock tampered with"),
    "fire_release": ("high", "fire alarm input: egress doors released"),
}

# A redelivered event is looked for among the events logged since it happened, less this much
# (the core and the bridge read one box's clock; this covers a small step of it).
REDELIVERY_SLACK_S = 600.0


def event_ack_topic(topics: Topics, door: str) -> str:
    """Where the core acknowledges a door's logged events; only the core may write it."""
    return topics.door_event(door) + "/ack"


class DoorFeed:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        topics: Topics,
        counters: Counter[str],
        limits: EventRules | None = None,
        arrivals: TopicCounts | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.topics = topics
        self.counters = counters
        self.states: dict[str, dict[str, Any]] = {}
        self.acks: Bus | None = None  # set by DoorFeedBus while the core runs
        self.limiter = DoorEventLimiter(limits)  # used on the door-events thread only
        # What each door topic a bridge writes brought, counted on arrival (the quarantine's).
        self.arrived = arrivals if arrivals is not None else TopicCounts()
        self._events: ApiWorker | None = None  # made by listen

    def listen(self, bus: Bus) -> None:
        """Take the doors' events and states from ``bus`` (the core's, while it runs)."""
        # Each door's events wait apart, the doors in turn: one bridge's flood is shed there.
        events = ApiWorker("door-events", self.counters, 2000, "door_event.shed", topic_of)
        self._events = events
        count = self.arrived.counting
        bus.subscribe(self.topics.all("door/+/event"), count(events.wrap(self.on_event)))
        bus.subscribe(self.topics.all("door/+/state"), count(self.on_state))

    def stop(self) -> None:
        if self._events is not None:
            self._events.stop()

    def on_event(self, msg: Message) -> None:
        try:
            ev = DoorEvent.decode(msg.payload)
        except MessageError as e:
            self.counters["door_event.malformed"] += 1
            log.warning("malformed door event on %s: %s", msg.topic, e)
            return
        if msg.topic != self.topics.door_event(ev.door_id) or self.store.door(ev.door_id) is None:
            self.counters["door_event.unknown_door"] += 1
            return
        verdict = self.limiter.check(ev.door_id, ev.type, self.clock.monotonic())
        if verdict.flood_started:
            self._flood_alarm(ev.door_id)
        if not verdict.admit:
            # Not acknowledged: an honest adapter sends it again when the door has room.
            self.counters["door_event.shed.rate"] += 1
            return
        if verdict.for_safety:
            self.counters["door_event.passed_in_flood"] += 1
        with self.store.transaction():
            if ev.id is not None and self._logged(ev):
                self.counters["door_event.redelivered"] += 1
            else:
                self._log(ev)
        # Committed: the adapter may forget it now.
        if ev.id is not None and self.acks is not None:
            self.acks.publish(event_ack_topic(self.topics, ev.door_id), {"id": ev.id})

    def _log(self, ev: DoorEvent) -> None:
        data = ev.data
        if ev.id is not None:
            # When it happened, which may be long before it arrived (the core was down).
            data = {**data, "event_id": ev.id, "occurred_at": ev.at}
        if ev.type in ALARM_EVENTS:
            severity, text = ALARM_EVENTS[ev.type]
            self.store.raise_alarm(
                ev.type,
                f"{ev.door_id}: {text}",
                severity=severity,
                door_id=ev.door_id,
                at=self.clock.now(),
                data=data,
            )
        else:
            self.store.append_event(f"door.{ev.type}", door_id=ev.door_id, data=data)

    def _flood_alarm(self, door: str) -> None:
        rules = self.limiter.rules
        self.store.raise_alarm(
            "event_flood",
            f"{door}: its bridge sends more door events than a door can"
            f" (over {rules.burst} at once or {rules.rate_per_s:g} a second); the excess is"
            " dropped",
            severity="high",
            door_id=door,
            at=self.clock.now(),
            data={"burst": rules.burst, "rate_per_s": rules.rate_per_s},
        )

    def _logged(self, ev: DoorEvent) -> bool:
        """Is this event (by its id) already in the log? Looked up through the index on type
        and time, among the events logged since it happened; in the caller's transaction."""
        type_ = "alarm.raised" if ev.type in ALARM_EVENTS else f"door.{ev.type}"
        return bool(
            self.store.query(
                "SELECT 1 FROM events WHERE type = ? AND at >= ? AND door_id = ?"
                " AND json_extract(data, '$.event_id') = ? LIMIT 1",
                (type_, ev.at - REDELIVERY_SLACK_S, ev.door_id, ev.id),
            )
        )

    def on_command_answer(self, msg: Message) -> None:
        """``door/<door>/ack`` from the bridge: a refused command is logged with its reason."""
        parts = self.topics.split(msg.topic)
        try:
            body = decode_object(msg.payload)
            ok = body.get("ok")
            reason = get_str(body, "reason", max_len=64, optional=True)
            command_id = get_str(body, "command_id", max_len=64, optional=True)
        except MessageError:
            ok = None
        if len(parts) != 3 or not isinstance(ok, bool):
            self.counters["door_ack.malformed"] += 1
            return
        if ok or self.store.door(parts[1]) is None:
            return
        self.counters["door_ack.refused"] += 1
        data = {"command_id": command_id, "reason": reason or "unknown"}
        self.store.append_event("door.command_refused", door_id=parts[1], data=data)

    def on_state(self, msg: Message) -> None:
        parts = self.topics.split(msg.topic)
        if len(parts) != 3:
            return
        try:
            state = decode_object(msg.payload)
        except MessageError:
            self.counters["door_state.malformed"] += 1
            return
        self.states[parts[1]] = {**state, "received_at": self.clock.now()}


class DoorFeedBus:
    """The door feed's own traffic on the bus (see the module's docstring): acknowledgements of
    logged door events, and the bridge's answers to the commands it refused."""

    def __init__(self, feed: DoorFeed, bus: Bus) -> None:
        self.feed = feed
        self.bus = bus
        self._answers: ApiWorker | None = None

    def offers(self) -> Offers:
        return Offers()

    def start(self) -> None:
        self.feed.acks = self.bus
        # Off the network thread: logging a refusal may wait for a long write (an import).
        answers = self._answers = ApiWorker(
            "door-answers", self.feed.counters, 2000, "door_answer.shed", topic_of
        )  # each door's answers apart, the doors in turn: a bridge's flood is shed at its door
        self.bus.subscribe(
            self.feed.topics.all("door/+/ack"),
            self.feed.arrived.counting(answers.wrap(self.feed.on_command_answer)),
        )

    def stop(self) -> None:
        self.feed.acks = None
        self.bus.unsubscribe(self.feed.topics.all("door/+/ack"))
        if self._answers is not None:
            self._answers.stop()
