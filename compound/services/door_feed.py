"""Door events and states as the core takes them: alarms for forced, held, tamper and fire,
logged events for the rest, and the last state each door reported."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from compound.adapters.mqtt import Message
from compound.domain.clock import Clock
from compound.protocol.messages import DoorEvent, MessageError, decode_object
from compound.protocol.topics import Topics
from compound.store.db import Store

log = logging.getLogger(__name__)

# Door events that are alarms in themselves, with their severity.
ALARM_EVENTS = {
    "forced_open": ("high", "door forced open"),
    "held_open": ("medium", "door held open"),
    "tamper": ("high", "reader or lock tampered with"),
    "fire_release": ("high", "fire alarm input: egress doors released"),
}


class DoorFeed:
    def __init__(self, store: Store, clock: Clock, topics: Topics, counters: Counter[str]) -> None:
        self.store = store
        self.clock = clock
        self.topics = topics
        self.counters = counters
        self.states: dict[str, dict[str, Any]] = {}

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
        if ev.type in ALARM_EVENTS:
            severity, text = ALARM_EVENTS[ev.type]
            self.store.raise_alarm(
                ev.type,
                f"{ev.door_id}: {text}",
                severity=severity,
                door_id=ev.door_id,
                at=self.clock.now(),
                data=ev.data,
            )
        else:
            self.store.append_event(f"door.{ev.type}", door_id=ev.door_id, data=ev.data)

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
