"""Byte-level stand-ins for the hardware, used by ``compound simulate``, the demo and the tests.

Each serial simulator owns the master side of a pseudo-terminal pair and speaks the real bytes
on it; the bridge opens the slave side (``.port``) exactly like a USB-RS485 adapter. The Modbus
side is written here by hand, independently of pymodbus, so the two check each other.
"""

from __future__ import annotations

import json
import logging
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from firmware_bridge import mcu_protocol as mp

log = logging.getLogger(__name__)


def modbus_crc(data: bytes) -> bytes:
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


def wire_time(n_bytes: int, baud: int) -> float:
    """Seconds to send ``n_bytes`` at 8N1 (10 bits a byte) on ``baud``."""
    return n_bytes * 10 / baud


class PtyPeer:
    """The master end of a pty pair with a reader thread; ``port`` is what the bridge opens."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._open_pty()

    def _open_pty(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self._unplugged = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._close_pty()

    def _close_pty(self) -> None:
        self._unplugged.set()
        if self._thread.is_alive():
            self._thread.join(2)
        for fd in (self.master, self.slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        # Never close these numbers again: the system may hand them to another file.
        self.master = self.slave = -1

    def unplug(self) -> None:
        """The device vanishes, as when its USB adapter is pulled: both pty ends close, so the
        bridge's open port fails, and the device node is gone until ``plug``."""
        self._close_pty()

    def plug(self) -> None:
        """The device comes back on a new pty (``port`` changes; point a link at it)."""
        self._open_pty()
        self._thread.start()

    def send(self, data: bytes) -> None:
        with self.lock:
            os.write(self.master, data)

    def on_bytes(self, data: bytes) -> None:
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.is_set() and not self._unplugged.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if ready:
                    data = os.read(self.master, 512)
                    if data:
                        self.on_bytes(data)
            except OSError:
                # The bridge side closed; keep waiting for it to reopen.
                time.sleep(0.05)


@dataclass(frozen=True)
class CoilChange:
    at: float  # time.monotonic() when the coil changed
    channel: int
    on: bool


class VirtualRelayBoard(PtyPeer):
    """A Modbus RTU slave with coils and discrete inputs (function codes 1, 2, 5, 15).

    ``answering = False`` makes it stop replying (powered off, cable cut); ``line_baud`` paces
    requests and replies as if they crossed an RS-485 line at that speed.
    """

    def __init__(
        self, unit: int = 1, channels: int = 8, name: str = "sim-board", line_baud: int = 0
    ) -> None:
        super().__init__(name)
        self.unit = unit
        self.coils = [False] * channels
        self.inputs = [False] * channels
        self.history: list[CoilChange] = []
        self.answering = True
        self.line_baud = line_baud
        self.requests = 0
        self._buf = bytearray()
        self.on_coil: Callable[[CoilChange], None] | None = None

    def set_input(self, channel: int, value: bool) -> None:
        self.inputs[channel] = value

    def plug(self) -> None:
        """Powered up again: every coil starts off, as on a real board after power loss."""
        self.coils = [False] * len(self.coils)
        self._buf.clear()
        super().plug()

    def on_bytes(self, data: bytes) -> None:
        self._buf.extend(data)
        while len(self._buf) >= 8:
            need = self._request_length()
            if need is None:
                del self._buf[:1]  # not a request we understand: resynchronise
                continue
            if len(self._buf) < need:
                return
            frame, self._buf = bytes(self._buf[:need]), self._buf[need:]
            if modbus_crc(frame[:-2]) != frame[-2:] or frame[0] != self.unit:
                continue
            self.requests += 1
            if not self.answering:
                continue
            if self.line_baud:
                time.sleep(wire_time(len(frame), self.line_baud))
            reply = self._handle(frame[1], frame[2:-2])
            if self.line_baud:
                time.sleep(wire_time(len(reply) + 2, self.line_baud))
            self.send(reply + modbus_crc(reply))

    def _request_length(self) -> int | None:
        fc = self._buf[1]
        if fc in (1, 2, 5):
            return 8
        if fc == 15:
            return 9 + self._buf[6] if len(self._buf) > 6 else 9 + 255
        return None

    def _handle(self, fc: int, body: bytes) -> bytes:
        addr = int.from_bytes(body[0:2], "big")
        if fc in (1, 2):
            count = int.from_bytes(body[2:4], "big")
            table = self.coils if fc == 1 else self.inputs
            if addr + count > len(table) or count == 0:
                return bytes([self.unit, fc | 0x80, 2])
            bits = table[addr : addr + count]
            out = bytearray((count + 7) // 8)
            for i, b in enumerate(bits):
                if b:
                    out[i // 8] |= 1 << (i % 8)
            return bytes([self.unit, fc, len(out)]) + bytes(out)
        if fc == 5:
            if addr >= len(self.coils):
                return bytes([self.unit, 0x85, 2])
            self._set_coil(addr, body[2] == 0xFF)
            return bytes([self.unit, 5]) + body[:4]
        # fc 15: write multiple coils
        count = int.from_bytes(body[2:4], "big")
        if addr + count > len(self.coils):
            return bytes([self.unit, 0x8F, 2])
        for i in range(count):
            self._set_coil(addr + i, bool(body[5 + i // 8] >> (i % 8) & 1))
        return bytes([self.unit, 15]) + body[:4]

    def _set_coil(self, channel: int, on: bool) -> None:
        if self.coils[channel] != on:
            self.coils[channel] = on
            change = CoilChange(time.monotonic(), channel, on)
            self.history.append(change)
            if self.on_coil is not None:
                self.on_coil(change)


class VirtualIntercomMCU(PtyPeer):
    """An entrance MCU: Wiegand reader, keypad, call and emergency buttons, heartbeats."""

    def __init__(self, name: str = "sim-mcu", heartbeat_s: float = 1.0) -> None:
        super().__init__(name)
        self.reader = mp.FrameReader()
        self.received: list[mp.Frame] = []
        self.relays: dict[int, bool] = {}  # its own relay outputs, for a door it drives
        self.relay_history: list[CoilChange] = []
        self.heartbeat_s = heartbeat_s
        self.powered = True
        self._hb = threading.Thread(target=self._beat, name=f"{name}-hb", daemon=True)
        self._count = 0

    def start(self) -> None:
        super().start()
        self._hb.start()

    def on_bytes(self, data: bytes) -> None:
        for frame in self.reader.feed(data):
            self.received.append(frame)
            if frame.type == mp.RELAY and len(frame.payload) == 2 and self.powered:
                channel, on = frame.payload[0], bool(frame.payload[1])
                if self.relays.get(channel, False) != on:
                    self.relay_history.append(CoilChange(time.monotonic(), channel, on))
                self.relays[channel] = on
                self.send_frame(mp.Frame(mp.RELAY_ACK, bytes([channel, int(on)])))

    def send_frame(self, frame: mp.Frame) -> None:
        if self.powered:
            self.send(mp.encode(frame))

    def card(self, number: int, bits: int = 26) -> None:
        self.send_frame(mp.card_frame(number, bits))

    def keypad(self, digits: str) -> None:
        self.send_frame(mp.Frame(mp.KEYPAD, digits.encode()))

    def dial(self, room: str) -> None:
        self.send_frame(mp.Frame(mp.CALL, room.encode()))

    def emergency(self) -> None:
        self.send_frame(mp.Frame(mp.EMERGENCY))

    def zone(self, number: int, state: str) -> None:
        """An alarm input wired to the MCU changed: "normal", "alarm" or "fault"."""
        self.send_frame(mp.Frame(mp.ZONE, bytes([number, mp.ZONE_STATES.index(state)])))

    def contact(self, is_open: bool) -> None:
        """The door contact wired to the MCU changed."""
        self.send_frame(mp.Frame(mp.CONTACT, bytes([int(is_open)])))

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            self._count = (self._count + 1) & 0xFFFF
            try:
                self.send_frame(mp.Frame(mp.HEARTBEAT, self._count.to_bytes(2, "big")))
            except OSError:
                pass


class VirtualIndoorStation:
    """An MQTT indoor station: rings for its unit, answers after a moment, then opens the door."""

    def __init__(
        self, bus: Any, station: str, unit: str, answer_after: float = 1.0, unlock: bool = True
    ) -> None:
        self.bus = bus
        self.station = station
        self.unit = unit
        self.answer_after = answer_after
        self.unlock = unlock
        self.rings: list[dict[str, Any]] = []
        self.notices: list[dict[str, Any]] = []

    def start(self) -> None:
        self.bus.subscribe(self.bus.topics.intercom_ring(self.unit), self._on_ring)

    def _on_ring(self, msg: Any) -> None:
        try:
            ring = json.loads(msg.payload)
            call_id = str(ring["call_id"])
        except (ValueError, KeyError, TypeError):
            return
        if "state" in ring:
            # Not a ring: the core's word on a call (an unlock refused in a lockdown). Shown,
            # never answered, or the station would press unlock again and again.
            self.notices.append(ring)
            log.warning("indoor station %s: %s", self.station, ring.get("message", ring["state"]))
            return
        self.rings.append(ring)
        threading.Thread(target=self._respond, args=(call_id,), daemon=True).start()

    def issue_pass(self, visitor: str, hours: float = 4.0, uses: int = 1) -> dict[str, Any]:
        """What a resident does on the station's screen: invite a visitor. The bus must speak
        as the station's broker user; the core decides the unit from that, not from here. The
        answer's token is what the station shows as a QR code."""
        params = {"visitor": visitor, "hours": hours, "uses": uses}
        reply: dict[str, Any] = self.bus.request("pass.station_issue", params, timeout=5.0)
        return reply

    def _respond(self, call_id: str) -> None:
        topic = self.bus.topics.intercom_reply(self.station)
        time.sleep(self.answer_after)
        self.bus.publish(topic, {"call_id": call_id, "action": "answer"})
        time.sleep(self.answer_after)
        action = "unlock" if self.unlock else "reject"
        self.bus.publish(topic, {"call_id": call_id, "action": action})
