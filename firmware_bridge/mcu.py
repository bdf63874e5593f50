"""One entrance MCU on its serial line: frames in, access requests and calls out, heartbeat
watchdog, and (when a door names it as its board) its own relay output as a coil driver."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any, Protocol

from compound.adapters.mqtt import Bus
from compound.config import McuWiring
from compound.domain.clock import Clock
from compound.protocol.messages import AccessRequest, encode, new_id
from firmware_bridge import mcu_protocol as mp
from firmware_bridge.boards import Board
from firmware_bridge.modbus_board import BoardDown
from firmware_bridge.serial_port import LineDown, SerialLine

log = logging.getLogger(__name__)


class McuEvents(Protocol):
    """What an MCU hands to the bridge."""

    def mcu_alive(self, mcu: Mcu, alive: bool) -> None: ...

    def mcu_contact(self, mcu: Mcu) -> None: ...

    def mcu_zone(self, mcu: Mcu, zone: int, state: str) -> None: ...


class Mcu:
    """One entrance MCU: frames in, access requests and calls out; heartbeat watchdog.

    When a door names the MCU as its board, the MCU's relay output drives that door and its
    CONTACT frames are the door contact: ``write_coil`` sends a RELAY frame and returns once
    the MCU's RELAY_ACK reports the new state (``BoardDown`` otherwise), and the door goes
    offline with the MCU's heartbeat and is driven to its secure state when it returns.
    """

    ACK_TIMEOUT_S = 0.25
    ATTEMPTS_AFTER_SILENCE = 2

    def __init__(
        self,
        wiring: McuWiring,
        bus: Bus,
        clock: Clock,
        counters: Counter[str],
        heartbeat_timeout_s: float,
        events: McuEvents,
    ) -> None:
        self.wiring = wiring
        self.bus = bus
        self.clock = clock
        self.counters = counters
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.events = events
        self.line = SerialLine(wiring.port, wiring.baud)
        self.reader = mp.FrameReader()
        self.alive = False
        self.last_heard = 0.0
        self.board: Board | None = None  # set when its relay drives a door
        self.contact_open = False
        self._acks: dict[int, bool] = {}
        self._ack_ready = threading.Condition()

    def write_coil(self, channel: int, on: bool) -> None:
        """On the MCU's job thread (never its reader thread, which delivers the ack).

        A RELAY frame sets a state, so sending it again is harmless: one lost frame or ack on
        a noisy line is retried before the door is declared offline."""
        for attempt in range(1 + self.ATTEMPTS_AFTER_SILENCE):
            with self._ack_ready:
                self._acks.pop(channel, None)
            try:
                self.line.write(mp.encode(mp.Frame(mp.RELAY, bytes([channel, int(on)]))))
            except LineDown as e:
                raise BoardDown(f"mcu {self.wiring.name}: {e}") from None
            with self._ack_ready:
                heard = self._ack_ready.wait_for(lambda: channel in self._acks, self.ACK_TIMEOUT_S)
                state = self._acks.pop(channel, None)
            if heard:
                break
            log.warning(
                "mcu %s: no answer to relay %d (attempt %d)", self.wiring.name, channel, attempt + 1
            )
        if not heard:
            raise BoardDown(f"mcu {self.wiring.name}: no answer to relay {channel}")
        if state is not on:
            raise BoardDown(f"mcu {self.wiring.name}: relay {channel} did not switch")

    def close(self) -> None:
        self.line.close()

    def run(self, stop: threading.Event) -> None:
        """The MCU's reader thread, until ``stop``."""
        while not stop.is_set():
            if not self.line.ensure_open():
                self._set_alive(False)
                stop.wait(0.1)
                continue
            try:
                data = self.line.read()
            except LineDown as e:
                log.warning("%s", e)
                self._set_alive(False)
                continue
            mono = self.clock.monotonic()
            if not data:
                self.reader.idle()
                if self.alive and mono - self.last_heard > self.heartbeat_timeout_s:
                    self._set_alive(False)
                continue
            for frame in self.reader.feed(data):
                self.last_heard = mono
                self._set_alive(True)
                self.handle(frame)

    def _set_alive(self, alive: bool) -> None:
        if alive != self.alive:
            self.alive = alive
            self.events.mcu_alive(self, alive)

    def handle(self, frame: mp.Frame) -> None:
        door = self.wiring.door
        now = self.clock.now()
        try:
            if frame.type == mp.CARD:
                self._request("card", str(mp.parse_card(frame.payload)), now)
            elif frame.type == mp.KEYPAD:
                self._request("pin", mp.parse_digits(frame.payload), now)
            elif frame.type in (mp.CALL, mp.EMERGENCY):
                # The door is the topic's (the core reads it from there); the room is resolved
                # by the core against the entrance this door serves.
                body: dict[str, Any] = {"call_id": new_id(), "at": now}
                if frame.type == mp.CALL:
                    body["action"] = "dial"
                    body["room"] = mp.parse_digits(frame.payload, max_len=5)
                else:
                    body["action"] = "emergency"
                self.bus.publish(self.bus.topics.intercom_call(door), body)
            elif frame.type == mp.RELAY_ACK:
                if len(frame.payload) != 2 or frame.payload[1] > 1:
                    raise ValueError("relay ack needs 2 bytes: channel, 0 or 1")
                with self._ack_ready:
                    self._acks[frame.payload[0]] = bool(frame.payload[1])
                    self._ack_ready.notify_all()
            elif frame.type == mp.ZONE:
                self.events.mcu_zone(self, *mp.parse_zone(frame.payload))
            elif frame.type == mp.CONTACT:
                if len(frame.payload) != 1 or frame.payload[0] > 1:
                    raise ValueError("contact needs 1 byte: 0 closed, 1 open")
                self.contact_open = bool(frame.payload[0])
                if self.board is not None:
                    self.events.mcu_contact(self)
            self.counters[f"mcu.{frame.name}"] += 1
        except ValueError as e:  # WiegandError is a ValueError too
            self.counters[f"mcu.bad_{frame.name}"] += 1
            log.warning("bad %s frame from %s: %s", frame.name, self.wiring.name, e)

    def _request(self, kind: str, value: str, now: float) -> None:
        door = self.wiring.door
        req = AccessRequest(new_id(), door, kind, value, now, source=self.wiring.name)
        self.bus.publish(self.bus.topics.access_request(door), encode(req))
