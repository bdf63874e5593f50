"""The bridge's side of the bus: door events (through ``event_delivery``, which keeps each until
the core has logged it), retained door states, the answer to every command, board and MCU
availability, the doors it is wired for and Home Assistant discovery."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from compound.adapters.mqtt import Bus
from compound.domain.clock import Clock
from compound.protocol.door_list import encode_door_list
from compound.protocol.messages import DoorEvent, new_id
from firmware_bridge.boards import Door
from firmware_bridge.discovery import discovery_messages
from firmware_bridge.event_delivery import EventDelivery


class Publisher:
    def __init__(
        self,
        bus: Bus,
        clock: Clock,
        counters: Counter[str],
        lock: threading.RLock,
        delivery: EventDelivery,
        on_event: Callable[[DoorEvent], None] | None = None,
    ) -> None:
        self.bus = bus
        self.topics = bus.topics
        self.clock = clock
        self.counters = counters
        self.lock = lock  # the bridge's: door states are read under it
        self.delivery = delivery
        self.on_event = on_event

    def ack(self, door: Door, command_id: str | None, ok: bool = True, reason: str = "") -> None:
        """Every command is answered. ``ok``: it was carried out (the board confirmed the
        coil); told first, before the door events, which the core logs to disk one by one.
        Otherwise ``reason`` says why it was refused: ``expired``, ``replayed``, ``bad_mac``,
        ``issued_before_start``, ``lockdown``, ``stopping``, ``offline``, ``board_down``...
        (``command_id`` is None when the command could not be read)."""
        body: dict[str, Any] = {"command_id": command_id, "ok": ok, "at": self.clock.now()}
        if not ok:
            body["reason"] = reason
        body["state"] = door.machine.state
        self.bus.publish(self.topics.door_ack(door.wiring.id), body)
        self.counters["command.done" if ok else "command.refusal_sent"] += 1

    def outputs(self, door: Door, events: list[tuple[str, dict[str, Any]]]) -> None:
        for type_, data in events:
            self.event(door, type_, data)
        with self.lock:
            self.state(door)

    def event(self, door: Door, type_: str, data: dict[str, Any]) -> None:
        ev = DoorEvent(door.wiring.id, type_, self.clock.now(), data, new_id())
        self.counters[f"event.{type_}"] += 1
        self.delivery.add(ev)
        if self.on_event is not None:
            self.on_event(ev)

    def state(self, door: Door, force: bool = False) -> None:
        """The door's retained state, when it changed (or ``force``); under the bridge's lock."""
        snap = door.machine.snapshot()
        if snap == door.published and not force:
            return
        door.published = snap
        body = {**snap, "door_id": door.wiring.id, "at": self.clock.now()}
        self.bus.publish(self.topics.door_state(door.wiring.id), body, retain=True)

    def availability(self, name: str, up: bool) -> None:
        self.bus.publish(
            self.topics.availability(name), b"online" if up else b"offline", retain=True
        )

    def door_list(self, door_ids: Iterable[str]) -> None:
        """The doors it is wired for now, retained under its broker user, before its discovery
        configs: the core clears the configs of a registered door not on it
        (``compound.protocol.door_list``)."""
        topic = self.topics.bridge_doors(self.bus.user)
        self.bus.publish(topic, encode_door_list(door_ids), retain=True)

    def discovery(self, door_ids: Iterable[str], ha_user: str = "ha") -> None:
        msgs = discovery_messages(self.topics, self.bus.client_id, door_ids, ha_user)
        for topic, payload in msgs:
            self.bus.publish(topic, payload, retain=True)
