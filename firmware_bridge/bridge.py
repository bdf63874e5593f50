"""The bridge service (``compound bridge``): doors on Modbus boards, entrance MCUs, the bus.

It translates; it does not decide who may enter. Cards, PINs and dialled calls read at an
entrance go to the core; the core's signed commands come back, pass the command guard and move
a relay through the door's state machine. The exceptions are the life-safety rules, which the
state machines apply locally so that they hold with the core or the broker down: the exit
button and the fire input release the door, and nothing releases it on boot or reconnect.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from compound.adapters.mqtt import Bus, Message
from compound.config import BoardWiring, BridgeConfig, DoorWiring, McuWiring
from compound.domain.clock import Clock
from compound.protocol.messages import (
    AccessRequest,
    DoorEvent,
    MessageError,
    decode_object,
    encode,
    new_id,
)
from compound.protocol.topics import ha_discovery_topic
from firmware_bridge import mcu_protocol as mp
from firmware_bridge.command_guard import CommandGuard, KeyFor, Refused
from firmware_bridge.door_state import DoorMachine, DoorSetup, Outputs
from firmware_bridge.modbus_board import BoardDown, RelayBoard
from firmware_bridge.serial_port import LineDown, SerialLine

log = logging.getLogger(__name__)


class CoilDriver(Protocol):
    """What drives a door's relay: a Modbus board, or an entrance MCU's own relay."""

    def write_coil(self, channel: int, on: bool) -> None: ...  # raises BoardDown

    def close(self) -> None: ...


@dataclass
class _Door:
    wiring: DoorWiring
    machine: DoorMachine
    board: CoilDriver
    published: dict[str, Any] = field(default_factory=dict)


@dataclass
class _CoilJob:
    """A coil to drive, and what to publish once the board confirmed (or refused) it."""

    door: _Door
    on: bool
    events: list[tuple[str, dict[str, Any]]]
    ack: Callable[[], None] | None = None


@dataclass
class _Board:
    wiring: BoardWiring
    io: CoilDriver
    doors: list[_Door]
    polled: bool = True  # a Modbus board; False for an MCU, whose inputs arrive as frames
    up: bool = False
    last: list[bool] = field(default_factory=list)
    # Only the board's own thread touches its serial line: coil writes queue here and go out
    # before the next poll, so a command never waits behind a polling interval.
    jobs: queue.SimpleQueue[_CoilJob | None] = field(default_factory=queue.SimpleQueue)


class Bridge:
    def __init__(
        self,
        config: BridgeConfig,
        bus: Bus,
        clock: Clock,
        key_for: KeyFor,
        on_event: Callable[[DoorEvent], None] | None = None,
    ) -> None:
        self.config = config
        self.bus = bus
        self.topics = bus.topics
        self.clock = clock
        self.on_event = on_event
        self.counters: Counter[str] = Counter()
        self.lock = threading.RLock()
        self.boards: dict[str, _Board] = {}
        self.doors: dict[str, _Door] = {}
        self._check_wiring()
        self.relay_boards: dict[str, RelayBoard] = {}
        for bw in config.boards:
            io = RelayBoard(bw.name, bw.port, bw.baud, bw.unit, bw.inputs)
            self.relay_boards[bw.name] = io
            self.boards[bw.name] = _Board(bw, io, [])
        self.mcus = [_Mcu(self, m) for m in config.mcus]
        for mcu in self.mcus:
            if any(d.board == mcu.wiring.name for d in config.doors):
                # Its relay output drives a door: a coil driver with its own thread, no polling.
                mw = mcu.wiring
                wiring = BoardWiring(mw.name, mw.port, mw.baud, 1, 1, -1)
                mcu.board = self.boards[mw.name] = _Board(wiring, mcu, [], polled=False)
        for dw in config.doors:
            board = self.boards[dw.board]
            setup = DoorSetup(dw.id, dw.lock, dw.egress, dw.open_time_s, dw.held_open_s)
            door = _Door(dw, DoorMachine(setup), board.io)  # board or MCU, both CoilDrivers
            board.doors.append(door)
            self.doors[dw.id] = door
        self.guard = CommandGuard(key_for, set(self.doors), clock)
        self._fire: dict[str, bool] = {}
        self.lockdown = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _check_wiring(self) -> None:
        mcu_names = [m.name for m in self.config.mcus]
        names = [b.name for b in self.config.boards] + mcu_names
        if len(set(names)) != len(names):
            raise ValueError("bridge: two boards or MCUs share a name")
        seen: set[tuple[str, int]] = set()
        for d in self.config.doors:
            if not d.id:
                raise ValueError("bridge.doors: a door without an id")
            if d.board not in names:
                raise ValueError(
                    f"bridge.doors: door {d.id} names unknown board or MCU {d.board!r}"
                )
            if d.board in mcu_names and (d.exit >= 0 or d.tamper >= 0):
                raise ValueError(
                    f"bridge.doors: door {d.id} is driven by MCU {d.board}, which reports "
                    "only its door contact; wire exit button and tamper to a Modbus board "
                    "and set exit = -1, tamper = -1 here"
                )
            if (d.board, d.relay) in seen:
                raise ValueError(f"bridge.doors: relay {d.relay} of {d.board} used twice")
            seen.add((d.board, d.relay))
        door_ids = {d.id for d in self.config.doors}
        for m in self.config.mcus:
            if m.door not in door_ids:
                raise ValueError(f"bridge.mcus: {m.name} serves unknown door {m.door!r}")

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe and start the device loops; the bus may be started before or after."""
        self.bus.subscribe(self.topics.all("door/+/cmd"), self.on_command)
        # Retained: a bridge started during a lockdown learns it on subscribing.
        self.bus.subscribe(self.topics.site_lockdown, self.on_lockdown)
        self.bus.on_connect_hooks.append(self.publish_all)
        self.bus.serve({"bridge.status": lambda p: self.status()})
        for board in self.boards.values():
            self._spawn(f"board-{board.wiring.name}", partial(self._board_loop, board))
        for mcu in self.mcus:
            self._spawn(f"mcu-{mcu.wiring.name}", mcu.run)
        self._spawn("door-ticks", self._tick_loop)
        if self.bus.connected:
            self.publish_all()

    def stop(self) -> None:
        self._stop.set()
        for board in self.boards.values():
            board.jobs.put(None)  # wake the board thread
        for t in self._threads:
            t.join(3)
        for io in self.relay_boards.values():
            io.close()
        for mcu in self.mcus:
            mcu.line.close()

    def _spawn(self, name: str, fn: Callable[[], None]) -> None:
        t = threading.Thread(target=fn, name=name, daemon=True)
        self._threads.append(t)
        t.start()

    # -- commands from the core ------------------------------------------------------------

    def on_command(self, msg: Message) -> None:
        parts = self.topics.split(msg.topic)
        topic_door = parts[1] if len(parts) == 3 else ""
        try:
            cmd = self.guard.check(topic_door, msg.payload, msg.retain)
        except Refused as e:
            log.warning("door command on %s refused: %s", msg.topic, e)
            return
        door = self.doors[cmd.door_id]
        now = self.clock.now()
        with self.lock:
            m = door.machine
            if cmd.action == "unlock":
                if not m.online or m.lockdown:
                    self.counters[
                        "command.refused_" + ("offline" if not m.online else "lockdown")
                    ] += 1
                    return
                out = m.unlock(now, cmd.duration_s, cmd.reason)
            else:
                out = m.lock(now, cmd.reason)
            self._apply(door, out, ack=partial(self._ack, door, cmd.id))

    def _ack(self, door: _Door, command_id: str) -> None:
        """The command was carried out (the board confirmed the coil): tell the core first,
        before the door events, which the core logs to disk one by one."""
        self.bus.publish(
            self.topics.door_ack(door.wiring.id),
            {"command_id": command_id, "at": self.clock.now(), "state": door.machine.state},
        )
        self.counters["command.done"] += 1

    def on_lockdown(self, msg: Message) -> None:
        """The core's retained site state: ``{"on": true|false, "at": ...}``."""
        if not msg.payload:
            return  # the retained state was cleared; keep what we know
        try:
            on = decode_object(msg.payload).get("on")
        except MessageError:
            on = None
        if not isinstance(on, bool):
            self.counters["lockdown.malformed"] += 1
            log.warning("unreadable lockdown state on %s", msg.topic)
            return
        self.lockdown = on
        now = self.clock.now()
        with self.lock:
            for door in self.doors.values():
                self._apply(door, door.machine.set_lockdown(on, now))

    # -- applying what a state machine decided ---------------------------------------------

    def _apply(self, door: _Door, out: Outputs, ack: Callable[[], None] | None = None) -> None:
        """Carry out what a state machine decided.

        Without a coil change, events and state go out now (and the ack, if any). With one,
        the write is queued to the board's thread, which sends it at once and publishes the
        ack, events and state after the board answered; no caller waits on the serial line,
        so the bus thread and the other boards keep going while one board is slow or gone.
        """
        if out.relay is None:
            if ack is not None:
                ack()
            self._publish_outputs(door, out.events)
            return
        self.boards[door.wiring.board].jobs.put(_CoilJob(door, out.relay, out.events, ack))

    def _publish_outputs(self, door: _Door, events: list[tuple[str, dict[str, Any]]]) -> None:
        for type_, data in events:
            self._publish_event(door, type_, data)
        with self.lock:
            self._publish_state(door)

    def _run_job(self, board: _Board, job: _CoilJob) -> None:
        """On the board's thread: write the coil; ack only what the board confirmed."""
        try:
            board.io.write_coil(job.door.wiring.relay, job.on)
            self.counters["coil_writes"] += 1
            if job.ack is not None:
                job.ack()
        except BoardDown as e:
            self.counters["coil_write_failures"] += 1
            log.warning("%s", e)
            with self.lock:
                self._board_down(board)
            # The relay did not move: keep what was observed, drop what claims it did.
            job.events = [ev for ev in job.events if ev[0] not in ("unlocked", "locked")]
        self._publish_outputs(job.door, job.events)

    def _publish_event(self, door: _Door, type_: str, data: dict[str, Any]) -> None:
        ev = DoorEvent(door.wiring.id, type_, self.clock.now(), data)
        self.counters[f"event.{type_}"] += 1
        self.bus.publish(self.topics.door_event(door.wiring.id), encode(ev))
        if self.on_event is not None:
            self.on_event(ev)

    def _publish_state(self, door: _Door, force: bool = False) -> None:
        snap = door.machine.snapshot()
        if snap == door.published and not force:
            return
        door.published = snap
        body = {**snap, "door_id": door.wiring.id, "at": self.clock.now()}
        self.bus.publish(self.topics.door_state(door.wiring.id), body, retain=True)

    def publish_all(self) -> None:
        """After every (re)connect: retained states, availability of boards, HA discovery."""
        with self.lock:
            for door in self.doors.values():
                self._publish_state(door, force=True)
            for board in self.boards.values():
                self._publish_availability(board.wiring.name, board.up)
        self.publish_discovery()

    def _publish_availability(self, name: str, up: bool) -> None:
        self.bus.publish(
            self.topics.availability(name), b"online" if up else b"offline", retain=True
        )

    def publish_discovery(self) -> None:
        site = self.topics.site
        avail = self.topics.availability(self.bus.client_id)
        for door_id in self.doors:
            state = self.topics.door_state(door_id)
            device = {"identifiers": [f"compound_{site}_{door_id}"], "name": f"Door {door_id}"}
            # Read-only in Home Assistant: only the core signs door commands, so the lock's
            # command topic is accepted by Home Assistant's schema and acted on by nobody.
            lock = {
                "name": None,
                "unique_id": f"{site}_{door_id}_lock",
                "state_topic": state,
                "value_template": "{{ 'LOCKED' if value_json.state == 'locked' else 'UNLOCKED' }}",
                "command_topic": f"{self.topics.root}/door/{door_id}/ha_request",
                "availability_topic": avail,
                "device": device,
            }
            self.bus.publish(ha_discovery_topic("lock", site, door_id), lock, retain=True)
            for key, cls, tmpl in (
                ("contact", "door", "value_json.state in ['open','held_open','forced']"),
                ("forced", "safety", "value_json.state == 'forced'"),
                ("tamper", "tamper", "value_json.tamper"),
                ("fire", "smoke", "value_json.fire"),
            ):
                sensor = {
                    "name": key,
                    "unique_id": f"{site}_{door_id}_{key}",
                    "device_class": cls,
                    "state_topic": state,
                    "value_template": "{{ 'ON' if " + tmpl + " else 'OFF' }}",
                    "availability_topic": avail,
                    "device": device,
                }
                self.bus.publish(
                    ha_discovery_topic("binary_sensor", site, f"{door_id}_{key}"),
                    sensor,
                    retain=True,
                )

    # -- board polling ---------------------------------------------------------------------

    def _board_loop(self, board: _Board) -> None:
        """The board's own thread: queued coil writes first, inputs polled when due."""
        next_poll = 0.0 if board.polled else float("inf")
        while not self._stop.is_set():
            wait = min(next_poll - time.monotonic(), 0.5)
            try:
                job = board.jobs.get(timeout=wait) if wait > 0 else board.jobs.get_nowait()
            except queue.Empty:
                job = None
            if job is not None:
                self._run_job(board, job)
                continue
            if self._stop.is_set() or time.monotonic() < next_poll:
                continue
            io = self.relay_boards[board.wiring.name]
            try:
                inputs = io.read_inputs()
            except BoardDown as e:
                self.counters[f"board.{board.wiring.name}.failures"] += 1
                with self.lock:
                    if board.up:
                        log.warning("%s", e)
                    self._board_down(board)
                next_poll = time.monotonic() + min(io.backoff, 1.0)
                continue
            with self.lock:
                self._board_inputs(board, inputs)
            next_poll = time.monotonic() + self.config.poll_interval_s

    def mcu_link(self, board: _Board, alive: bool, contact: bool) -> None:
        """An MCU that drives doors came alive or went silent: its doors follow."""
        with self.lock:
            if not alive:
                self._board_down(board)
                return
            if board.up:
                return
            board.up = True
            now = self.clock.now()
            for door in board.doors:
                door.machine.fire = any(self._fire.values())
                self._apply(door, door.machine.link(True, now, contact))

    def mcu_contact(self, door_id: str, is_open: bool) -> None:
        door = self.doors[door_id]
        with self.lock:
            if door.machine.online:
                self._apply(door, door.machine.contact(is_open, self.clock.now()))

    def _board_down(self, board: _Board) -> None:
        if not board.up:
            return
        board.up = False
        board.last = []
        self.counters["board.down"] += 1
        now = self.clock.now()
        for door in board.doors:
            out = door.machine.link(False, now)
            for type_, data in out.events:
                self._publish_event(door, type_, data)
            self._publish_state(door)
        self._publish_availability(board.wiring.name, False)

    def _board_inputs(self, board: _Board, inputs: list[bool]) -> None:
        now = self.clock.now()

        def bit(i: int) -> bool:
            return 0 <= i < len(inputs) and inputs[i]

        fire_ch = board.wiring.fire_input
        if fire_ch >= 0:
            self._fire[board.wiring.name] = bit(fire_ch)
        fire = any(self._fire.values())
        if not board.up:
            board.up = True
            self._publish_availability(board.wiring.name, True)
            for door in board.doors:
                door.machine.fire = fire  # the machine releases egress doors on link-up
                self._apply(door, door.machine.link(True, now, bit(door.wiring.contact)))
        prev = board.last or [False] * len(inputs)
        for door in self.doors.values():
            if door.machine.fire != fire:
                self._apply(door, door.machine.fire_input(fire, now))
        for door in board.doors:
            w, m = door.wiring, door.machine
            if w.exit >= 0 and bit(w.exit) and not (prev[w.exit] if w.exit < len(prev) else 0):
                self._apply(door, m.exit_button(now))
            if w.contact >= 0:
                self._apply(door, m.contact(bit(w.contact), now))
            if w.tamper >= 0:
                self._apply(door, m.tamper_input(bit(w.tamper), now))
        board.last = inputs

    def _tick_loop(self) -> None:
        while not self._stop.wait(0.05):
            now = self.clock.now()
            with self.lock:
                for door in self.doors.values():
                    out = door.machine.tick(now)
                    if out.relay is not None or out.events:
                        self._apply(door, out)

    # -- status ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {
                "doors": {d: x.machine.snapshot() for d, x in self.doors.items()},
                "boards": {n: b.up for n, b in self.boards.items()},
                "lockdown": self.lockdown,
                "mcus": {m.wiring.name: m.alive for m in self.mcus},
                "counters": dict(self.counters),
                "refused": dict(self.guard.refused),
                "frames": {m.wiring.name: dict(m.reader.counters) for m in self.mcus},
            }


class _Mcu:
    """One entrance MCU: frames in, access requests and calls out; heartbeat watchdog.

    When a door names the MCU as its board, the MCU's relay output drives that door and its
    CONTACT frames are the door contact: ``write_coil`` sends a RELAY frame and returns once
    the MCU's RELAY_ACK reports the new state (``BoardDown`` otherwise), and the door goes
    offline with the MCU's heartbeat and is driven to its secure state when it returns.
    """

    ACK_TIMEOUT_S = 0.25
    ATTEMPTS_AFTER_SILENCE = 2

    def __init__(self, bridge: Bridge, wiring: McuWiring) -> None:
        self.bridge = bridge
        self.wiring = wiring
        self.line = SerialLine(wiring.port, wiring.baud)
        self.reader = mp.FrameReader()
        self.alive = False
        self.last_heard = 0.0
        self.board: _Board | None = None  # set when its relay drives a door
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

    def run(self) -> None:
        b = self.bridge
        while not b._stop.is_set():
            if not self.line.ensure_open():
                self._set_alive(False)
                b._stop.wait(0.1)
                continue
            try:
                data = self.line.read()
            except LineDown as e:
                log.warning("%s", e)
                self._set_alive(False)
                continue
            mono = b.clock.monotonic()
            if not data:
                self.reader.idle()
                if self.alive and mono - self.last_heard > b.config.mcu_heartbeat_timeout_s:
                    self._set_alive(False)
                continue
            for frame in self.reader.feed(data):
                self.last_heard = mono
                self._set_alive(True)
                self.handle(frame)

    def _set_alive(self, alive: bool) -> None:
        if alive != self.alive:
            self.alive = alive
            if self.board is not None:
                # Doors on this MCU follow it; offline publishes the availability too.
                self.bridge.mcu_link(self.board, alive, self.contact_open)
                if not alive:
                    return
            self.bridge._publish_availability(self.wiring.name, alive)

    def handle(self, frame: mp.Frame) -> None:
        b, door = self.bridge, self.wiring.door
        now = b.clock.now()
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
                b.bus.publish(b.topics.intercom_call(door), body)
            elif frame.type == mp.RELAY_ACK:
                if len(frame.payload) != 2 or frame.payload[1] > 1:
                    raise ValueError("relay ack needs 2 bytes: channel, 0 or 1")
                with self._ack_ready:
                    self._acks[frame.payload[0]] = bool(frame.payload[1])
                    self._ack_ready.notify_all()
            elif frame.type == mp.CONTACT:
                if len(frame.payload) != 1 or frame.payload[0] > 1:
                    raise ValueError("contact needs 1 byte: 0 closed, 1 open")
                self.contact_open = bool(frame.payload[0])
                if self.board is not None and door in b.doors:
                    if b.doors[door].wiring.board == self.wiring.name:
                        b.mcu_contact(door, self.contact_open)
            b.counters[f"mcu.{frame.name}"] += 1
        except ValueError as e:  # WiegandError is a ValueError too
            b.counters[f"mcu.bad_{frame.name}"] += 1
            log.warning("bad %s frame from %s: %s", frame.name, self.wiring.name, e)

    def _request(self, kind: str, value: str, now: float) -> None:
        b, door = self.bridge, self.wiring.door
        req = AccessRequest(new_id(), door, kind, value, now, source=self.wiring.name)
        b.bus.publish(b.topics.access_request(door), encode(req))
