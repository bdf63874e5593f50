"""What the bridge holds per door and per board, the check of the ``[bridge]`` wiring, and each
board's own thread (coil writes first, inputs polled when due)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from compound.config import BoardWiring, BridgeConfig, DoorWiring
from compound.protocol.door_list import MAX_DOORS
from compound.protocol.topics import valid_segment
from firmware_bridge.door_state import DoorMachine
from firmware_bridge.modbus_board import BoardDown, RelayBoard

Ack = Callable[[bool, str], None]


class CoilDriver(Protocol):
    """What drives a door's relay: a Modbus board, or an entrance MCU's own relay."""

    def write_coil(self, channel: int, on: bool) -> None: ...  # raises BoardDown

    def close(self) -> None: ...


@dataclass
class Door:
    wiring: DoorWiring
    machine: DoorMachine
    board: CoilDriver
    published: dict[str, Any] = field(default_factory=dict)


@dataclass
class CoilJob:
    """A coil to drive, and what to publish once the board confirmed (or refused) it."""

    door: Door
    on: bool
    events: list[tuple[str, dict[str, Any]]]
    ack: Ack | None = None  # the answer to the command that asked for it: (ok, reason)


@dataclass
class Board:
    wiring: BoardWiring
    io: CoilDriver
    doors: list[Door]
    polled: bool = True  # a Modbus board; False for an MCU, whose inputs arrive as frames
    up: bool = False
    last: list[bool] = field(default_factory=list)
    thread: threading.Thread | None = None
    # Only the board's own thread touches its serial line: coil writes queue here and go out
    # before the next poll, so a command never waits behind a polling interval.
    jobs: queue.SimpleQueue[CoilJob | None] = field(default_factory=queue.SimpleQueue)


def check_wiring(config: BridgeConfig) -> None:
    """``ValueError`` naming the first mistake in the doors, boards and MCUs of the config."""
    mcu_names = [m.name for m in config.mcus]
    names = [b.name for b in config.boards] + mcu_names
    if len(set(names)) != len(names):
        raise ValueError("bridge: two boards or MCUs share a name")
    seen: set[tuple[str, int]] = set()
    if len(config.doors) > MAX_DOORS:  # its list of doors must be readable by the core
        raise ValueError(f"bridge.doors: at most {MAX_DOORS} doors, not {len(config.doors)}")
    for d in config.doors:
        if not d.id:
            raise ValueError("bridge.doors: a door without an id")
        if not valid_segment(d.id):
            raise ValueError(
                f"bridge.doors: door id {d.id!r}: use 1-64 letters, digits, '_', '.', '-'"
            )
        if d.board not in names:
            raise ValueError(f"bridge.doors: door {d.id} names unknown board or MCU {d.board!r}")
        if d.board in mcu_names and (d.exit >= 0 or d.tamper >= 0):
            raise ValueError(
                f"bridge.doors: door {d.id} is driven by MCU {d.board}, which reports "
                "only its door contact; wire exit button and tamper to a Modbus board "
                "and set exit = -1, tamper = -1 here"
            )
        if (d.board, d.relay) in seen:
            raise ValueError(f"bridge.doors: relay {d.relay} of {d.board} used twice")
        seen.add((d.board, d.relay))
    door_ids = {d.id for d in config.doors}
    for m in config.mcus:
        if m.door not in door_ids:
            raise ValueError(f"bridge.mcus: {m.name} serves unknown door {m.door!r}")


class BoardEvents(Protocol):
    """What a board's thread hands to the bridge."""

    def run_job(self, board: Board, job: CoilJob) -> None: ...

    def board_failed(self, board: Board, error: BoardDown) -> None: ...

    def board_inputs(self, board: Board, inputs: list[bool]) -> None: ...


def board_loop(
    board: Board,
    io: RelayBoard | None,
    poll_interval_s: float,
    events: BoardEvents,
    stopping: threading.Event,
    stop: threading.Event,
) -> None:
    """The board's own thread: queued coil writes first, inputs polled when due (``io`` is
    the Modbus board to poll; None for an MCU, which only carries out coil writes).

    Once ``stopping``, inputs are no longer polled (an exit button pressed now would release a
    door that nobody relocks); the thread ends at the ``None`` that the bridge queues after its
    locking writes, so those are written first, or at ``stop`` if it was not reached."""
    next_poll = 0.0 if io is not None and board.polled else float("inf")
    while True:
        wait = min(next_poll - time.monotonic(), 0.5)
        try:
            job = board.jobs.get(timeout=wait) if wait > 0 else board.jobs.get_nowait()
        except queue.Empty:
            if stop.is_set():
                return
        else:
            if job is None:
                return
            events.run_job(board, job)
            continue
        if stopping.is_set() or io is None or time.monotonic() < next_poll:
            continue
        try:
            inputs = io.read_inputs()
        except BoardDown as e:
            events.board_failed(board, e)
            next_poll = time.monotonic() + min(io.backoff, 1.0)
            continue
        events.board_inputs(board, inputs)
        next_poll = time.monotonic() + poll_interval_s
