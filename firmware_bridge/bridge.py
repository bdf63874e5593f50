"""The bridge service (``compound bridge``): doors on Modbus boards, entrance MCUs, the bus.

It translates; it does not decide who may enter. Cards, PINs and dialled calls read at an
entrance go to the core; the core's signed commands come back, pass the command guard and move
a relay through the door's state machine. The exceptions are the life-safety rules, which the
state machines apply locally so that they hold with the core or the broker down: the exit
button and the fire input release the door, and nothing releases it on boot or reconnect.

Doors fail safe when the bridge starts and stops:

- On start every door is offline until its board or MCU first answers; the bridge then drives
  the door's locked output before acting on anything else for it (a command for an offline door
  is refused, and an exit button found held down at that moment is not a press).
- ``stop()`` (SIGTERM or Ctrl-C on ``compound bridge``, or a device thread that failed) first
  refuses every new release, then drives every door this bridge released back to locked on its
  board or MCU, waits for the confirmation and publishes the locked state. The one exception is
  an egress door that an active fire input released: it stays released.
- SIGKILL, a hard crash or a power cut of the box run no code. Neither the Modbus relay boards
  ("write single coil" holds until told otherwise) nor the MCU's RELAY frame have a hold time,
  so a released coil stays released: a strike stays powered (open), a maglock unpowered (open).
  What covers that case is systemd restarting the bridge (``Restart=on-failure`` and
  ``RestartSec=2`` in ``systemd/compound-bridge.service``); the new bridge drives every door
  locked on first contact with its board. Only a board that loses power itself drops its coils:
  the strike then locks (fail-secure), the maglock releases (fail-safe).

Every command is answered on ``door/<door>/ack``: ``ok: true`` once carried out, otherwise
``ok: false`` with the reason it was refused (expired, replayed, bad signature, issued before
this bridge started, lockdown, stopping, door offline, board down...). Door events are kept,
in a journal under ``state_dir``, until the core acknowledges that it logged them
(``event_delivery``).

The parts: ``boards`` (per-door and per-board records, the wiring check, each board's thread),
``mcu`` (an entrance MCU's line), ``commands`` (what the core tells the bridge), ``bus_side``
(what goes out on the bus), ``event_delivery`` and ``event_journal`` (door events until the
core logged them), ``zones`` (alarm zones on the boards' inputs) and ``discovery`` (Home
Assistant). This module ties them to the door state
machines.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from compound.adapters.mqtt import Bus
from compound.config import BoardWiring, BridgeConfig
from compound.domain.clock import Clock
from compound.protocol.messages import DoorEvent
from firmware_bridge.boards import Ack, Board, CoilJob, Door, board_loop, check_wiring
from firmware_bridge.bus_side import Publisher
from firmware_bridge.command_floor import CommandFloor
from firmware_bridge.command_guard import CommandGuard, KeyFor
from firmware_bridge.commands import CoreCommands
from firmware_bridge.door_state import DoorMachine, DoorSetup, Outputs
from firmware_bridge.event_delivery import EventDelivery
from firmware_bridge.event_journal import EventJournal
from firmware_bridge.mcu import Mcu
from firmware_bridge.modbus_board import BoardDown, RelayBoard
from firmware_bridge.zones import Zones, check_zones

log = logging.getLogger(__name__)


class Bridge:
    def __init__(
        self,
        config: BridgeConfig,
        bus: Bus,
        clock: Clock,
        key_for: KeyFor,
        on_event: Callable[[DoorEvent], None] | None = None,
        state_dir: Path | None = None,
    ) -> None:
        """``key_for`` gives the command key of one of ``config``'s doors. ``state_dir`` holds
        the journal of door events; without it they are kept in memory only."""
        self.config = config
        self.bus = bus
        self.topics = bus.topics
        self.clock = clock
        self.counters: Counter[str] = Counter()
        self.lock = threading.RLock()
        journal = None
        if state_dir is not None:
            journal = EventJournal(state_dir / f"door-events-{config.client_id}.jsonl")
        self.delivery = EventDelivery(bus, self.counters, journal)
        self.publisher = Publisher(bus, clock, self.counters, self.lock, self.delivery, on_event)
        self.boards: dict[str, Board] = {}
        self.doors: dict[str, Door] = {}
        check_wiring(config)
        check_zones(config.zones, config.boards, config.doors, [m.name for m in config.mcus])
        self.zones = Zones(config.zones, bus, clock, self.counters)  # alarm zones (zones.py)
        self.relay_boards: dict[str, RelayBoard] = {}
        for bw in config.boards:
            io = RelayBoard(bw.name, bw.port, bw.baud, bw.unit, bw.inputs)
            self.relay_boards[bw.name] = io
            self.boards[bw.name] = Board(bw, io, [])
        timeout = config.mcu_heartbeat_timeout_s
        self.mcus = [Mcu(m, bus, clock, self.counters, timeout, self) for m in config.mcus]
        for mcu in self.mcus:
            if any(d.board == mcu.wiring.name for d in config.doors):
                # Its relay output drives a door: a coil driver with its own thread, no polling.
                mw = mcu.wiring
                wiring = BoardWiring(mw.name, mw.port, mw.baud, 1, 1, -1)
                mcu.board = self.boards[mw.name] = Board(wiring, mcu, [], polled=False)
        for dw in config.doors:
            board = self.boards[dw.board]
            setup = DoorSetup(dw.id, dw.lock, dw.egress, dw.open_time_s, dw.held_open_s)
            # Open times on the clock's monotonic time; the publisher stamps events with wall time.
            door = Door(dw, DoorMachine(setup, clock), board.io)  # board or MCU: CoilDrivers
            board.doors.append(door)
            self.doors[dw.id] = door
        # The last command carried out per door survives a restart (see command_floor).
        floor = (
            CommandFloor(state_dir / f"command-seq-{config.client_id}.txt")
            if state_dir is not None
            else None
        )
        self.guard = CommandGuard(
            key_for,
            set(self.doors),
            clock,
            floor=floor.load() if floor is not None else None,
            on_accept=floor.record if floor is not None else None,
        )
        self._fire: dict[str, bool] = {}
        # Set by stop(): from then on nothing is released, only locked, and inputs are not read.
        self._stopping = threading.Event()
        self.commands = CoreCommands(
            self.guard, self.doors, self.publisher, self.lock, self._stopping, self._apply
        )
        self._stop = threading.Event()  # then the loops end
        self._threads: list[threading.Thread] = []
        # A device thread died of an unexpected error: ``compound bridge`` then stops (locking
        # what was released) and exits with an error, so that systemd restarts it.
        self.failed = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe and start the device loops; the bus may be started before or after.

        ``JournalError`` if the event journal cannot be used (another bridge holds it)."""
        self.delivery.start()  # what the journal still owes the core goes out first
        self.bus.subscribe(self.topics.all("door/+/event/ack"), self.delivery.on_ack)
        self.bus.on_connect_hooks.append(self.delivery.on_connect)
        # Commands issued before this moment are refused: a command captured before a restart
        # is not carried out again (see command_guard).
        self.guard.started_at = self.clock.now()
        self.bus.subscribe(self.topics.all("door/+/cmd"), self.commands.on_command)
        # Retained: a bridge started during a lockdown learns it on subscribing.
        self.bus.subscribe(self.topics.site_lockdown, self.commands.on_lockdown)
        self.bus.on_connect_hooks.append(self.publish_all)
        self.bus.serve({"bridge.status": lambda p: self.status()})
        for name, board in self.boards.items():
            io = self.relay_boards.get(name)
            interval = self.config.poll_interval_s
            loop = partial(board_loop, board, io, interval, self, self._stopping, self._stop)
            board.thread = self._spawn(f"board-{name}", loop)
        for mcu in self.mcus:
            self._spawn(f"mcu-{mcu.wiring.name}", partial(mcu.run, self._stop))
        self._spawn("door-ticks", self._tick_loop)
        if self.bus.connected:
            self.publish_all()

    STOP_TIMEOUT_S = 5.0  # how long stop() waits for the boards to confirm the locks

    def stop(self) -> None:
        """Lock every door this bridge released, then end the loops and close the lines.

        An egress door that the fire input holds released stays released: the fire panel still
        reports a fire, and whether the bridge runs must not decide whether people get out.
        A door whose board is not answering cannot be reached; it is reported offline, and the
        next bridge drives it locked when the board answers again.
        """
        with self.lock:
            if self._stopping.is_set():
                return
            # From here on no command, input or returning MCU releases anything.
            self._stopping.set()
            for door in self.doors.values():
                # lock() leaves a fire-released egress door released (see above).
                self._apply(door, door.machine.lock("bridge stopping"))
        deadline = time.monotonic() + self.STOP_TIMEOUT_S
        for board in self.boards.values():
            board.jobs.put(None)  # after the locks: the board's thread writes them, then ends
        for board in self.boards.values():
            if board.thread is None:
                continue  # never started: nothing was released
            if board.thread.is_alive():
                board.thread.join(max(0.0, deadline - time.monotonic()))
            else:
                self._drain(board)  # its thread died: write the locks from here
        # The MCU readers stop only now: they deliver the acks of the locking writes.
        self._stop.set()
        for t in self._threads:
            t.join(max(0.1, deadline - time.monotonic()))
        for io in self.relay_boards.values():
            io.close()
        for mcu in self.mcus:
            mcu.line.close()
        # The events of the locking go out while the broker is there; the journal keeps the rest.
        self.delivery.close()

    def _drain(self, board: Board) -> None:
        while True:
            try:
                job = board.jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                self.run_job(board, job)

    def _spawn(self, name: str, fn: Callable[[], None]) -> threading.Thread:
        def run() -> None:
            try:
                fn()
            except Exception:
                log.exception("bridge thread %s failed; the bridge must be restarted", name)
                self.failed.set()

        t = threading.Thread(target=run, name=name, daemon=True)
        self._threads.append(t)
        t.start()
        return t

    # -- applying what a state machine decided ---------------------------------------------

    def _apply(self, door: Door, out: Outputs, ack: Ack | None = None) -> None:
        """Carry out what a state machine decided.

        Without a coil change, events and state go out now (and the ack, if any). With one,
        the write is queued to the board's thread, which sends it at once and publishes the
        ack, events and state after the board answered; no caller waits on the serial line,
        so the bus thread and the other boards keep going while one board is slow or gone.
        """
        if out.relay is None:
            if ack is not None:
                ack(True, "")
            self.publisher.outputs(door, out.events)
            return
        self.boards[door.wiring.board].jobs.put(CoilJob(door, out.relay, out.events, ack))

    def run_job(self, board: Board, job: CoilJob) -> None:
        """On the board's thread: write the coil; ack only what the board confirmed."""
        try:
            board.io.write_coil(job.door.wiring.relay, job.on)
            self.counters["coil_writes"] += 1
            if job.ack is not None:
                job.ack(True, "")
        except BoardDown as e:
            self.counters["coil_write_failures"] += 1
            log.warning("%s", e)
            if job.ack is not None:
                job.ack(False, "board_down")
            with self.lock:
                self._board_down(board)
            # The relay did not move: keep what was observed, drop what claims it did.
            job.events = [ev for ev in job.events if ev[0] not in ("unlocked", "locked")]
        self.publisher.outputs(job.door, job.events)

    def publish_all(self) -> None:
        """After every (re)connect: states, boards' availability, door list, HA discovery."""
        with self.lock:
            for door in self.doors.values():
                self.publisher.state(door, force=True)
            for board in self.boards.values():
                self.publisher.availability(board.wiring.name, board.up)
            self.zones.publish_all()
        self.publisher.door_list(self.doors)
        self.publisher.discovery(self.doors, self.config.ha_user)

    # -- what the boards and MCUs report ---------------------------------------------------

    def board_failed(self, board: Board, error: BoardDown) -> None:
        """On the board's thread: a poll went unanswered."""
        self.counters[f"board.{board.wiring.name}.failures"] += 1
        with self.lock:
            if board.up:
                log.warning("%s", error)
            self._board_down(board)

    def mcu_alive(self, mcu: Mcu, alive: bool) -> None:
        """An MCU was heard again or fell silent."""
        if not alive:
            self.zones.board_down(mcu.wiring.name)  # its zones say nothing any more
        if mcu.board is not None:
            # Doors on this MCU follow it; offline publishes the availability too.
            self.mcu_link(mcu.board, alive, mcu.contact_open)
            if not alive:
                return
        self.publisher.availability(mcu.wiring.name, alive)

    def mcu_link(self, board: Board, alive: bool, contact: bool) -> None:
        """An MCU that drives doors came alive or went silent: its doors follow."""
        with self.lock:
            if not alive:
                self._board_down(board)
                return
            if board.up or self._stopping.is_set():
                # While stopping, an MCU heard again is left as found and its doors offline:
                # the next bridge drives it locked on first contact.
                return
            board.up = True
            for door in board.doors:
                door.machine.fire = any(self._fire.values())
                self._apply(door, door.machine.link(True, contact))

    def mcu_zone(self, mcu: Mcu, zone: int, state: str) -> None:
        self.zones.mcu_zone(mcu.wiring.name, zone, state)  # a ZONE frame (zones.py)

    def mcu_contact(self, mcu: Mcu) -> None:
        """The contact of the door an MCU drives changed."""
        door = self.doors.get(mcu.wiring.door)
        if door is None or door.wiring.board != mcu.wiring.name:
            return
        with self.lock:
            if door.machine.online:
                self._apply(door, door.machine.contact(mcu.contact_open))

    def _board_down(self, board: Board) -> None:
        if not board.up:
            return
        board.up = False
        board.last = []
        self.counters["board.down"] += 1
        for door in board.doors:
            out = door.machine.link(False)
            for type_, data in out.events:
                self.publisher.event(door, type_, data)
            self.publisher.state(door)
        self.zones.board_down(board.wiring.name)
        self.publisher.availability(board.wiring.name, False)

    def board_inputs(self, board: Board, inputs: list[bool]) -> None:
        """On the board's thread: a poll answered with the board's discrete inputs."""
        with self.lock:
            self._board_inputs(board, inputs)

    def _board_inputs(self, board: Board, inputs: list[bool]) -> None:
        def bit(i: int) -> bool:
            return 0 <= i < len(inputs) and inputs[i]

        fire_ch = board.wiring.fire_input
        if fire_ch >= 0:
            self._fire[board.wiring.name] = bit(fire_ch)
        fire = any(self._fire.values())
        prev = board.last or [False] * len(inputs)
        if not board.up:
            board.up = True
            self.publisher.availability(board.wiring.name, True)
            for door in board.doors:
                door.machine.fire = fire  # the machine releases egress doors on link-up
                self._apply(door, door.machine.link(True, bit(door.wiring.contact)))
            # The first reading after boot or reconnect is no edge: an exit button found held
            # down does not release the door (nothing releases on boot or reconnect).
            prev = inputs
        for door in self.doors.values():
            if door.machine.fire != fire:
                self._apply(door, door.machine.fire_input(fire))
        for door in board.doors:
            w, m = door.wiring, door.machine
            if w.exit >= 0 and bit(w.exit) and not (prev[w.exit] if w.exit < len(prev) else 0):
                self._apply(door, m.exit_button())
            if w.contact >= 0:
                self._apply(door, m.contact(bit(w.contact)))
            if w.tamper >= 0:
                self._apply(door, m.tamper_input(bit(w.tamper)))
        self.zones.board_inputs(board.wiring.name, inputs)
        board.last = inputs

    def _tick_loop(self) -> None:
        while not self._stop.wait(0.05):
            with self.lock:
                for door in self.doors.values():
                    out = door.machine.tick()
                    if out.relay is not None or out.events:
                        self._apply(door, out)

    # -- status ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {
                "doors": {d: x.machine.snapshot() for d, x in self.doors.items()},
                "zones": self.zones.status(),
                "boards": {n: b.up for n, b in self.boards.items()},
                "lockdown": self.commands.lockdown,
                "mcus": {m.wiring.name: m.alive for m in self.mcus},
                "counters": dict(self.counters),
                "events_owed": self.delivery.owed(),
                "refused": dict(self.guard.refused),
                "frames": {m.wiring.name: dict(m.reader.counters) for m in self.mcus},
            }
