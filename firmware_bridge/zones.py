"""Alarm zones (区域报警) on the Modbus boards' discrete inputs: read, debounced, reported.

A zone is a perimeter beam or fence detector, or an intrusion detector, wired to one input of a
relay/input board (``[[bridge.zones]]``, ``compound.config.ZoneWiring``). The bridge does not
decide what an alarm means; it says what the input does, as itself:

- ``ZoneMachine`` (pure, monotonic time injected): the input as the zone's alarm level
  (normally closed: an open loop, so also a cut wire, is an alarm; normally open: a closed one),
  debounced: a new level counts once it has held for ``debounce_s`` on every poll since. The
  first reading after the board answers is taken as it is: a zone found in alarm at boot is in
  alarm. Each change to alarm is a trip with an id of its own. End-of-line supervision, where
  the board reports it as a bit of its own (``fault_input``: the loop is cut or shorted), makes
  the zone's state ``tamper``, debounced the same way, with a ``tamper`` record like a trip.
  A zone on an entrance MCU comes as ZONE frames (``mcu_protocol``: input, normal / alarm /
  fault), debounced by the MCU and so taken at once; the MCU going silent makes it offline.
- ``Zones``: the machines of one bridge, fed each board's readings on that board's thread (under
  the bridge's lock); it publishes each zone's state, retained, on
  ``zone/<bridge user>/<zone>/state``: ``{"zone", "name", "location", "kind", "state": "normal"
  | "alarm" | "tamper" | "offline", "trip": {"id", "at"} | null, "tamper": {"id", "at"} | null,
  "at"}``. ``trip`` is the last trip, kept after the zone is normal again, so a core that was
  down during a short trip still learns of it from the retained state and raises the alarm once
  (it logs trip ids). Arming is the core's business: the bridge reports every zone. The broker's
  ACL lets a bridge write only under its own user name, so a zone report cannot pose as a door,
  nor as another bridge's zone.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from compound.adapters.mqtt import Bus
from compound.config import BoardWiring, DoorWiring, ZoneWiring
from compound.domain.clock import Clock
from compound.protocol.messages import new_id
from compound.protocol.topics import valid_segment
from firmware_bridge.mcu_protocol import MCU_ZONES


def check_zones(
    zones: Sequence[ZoneWiring],
    boards: Sequence[BoardWiring],
    doors: Sequence[DoorWiring],
    mcus: Sequence[str] = (),
) -> None:
    """``ValueError`` naming the first mistake in the zones of the config."""
    by_name = {b.name: b for b in boards}
    # An MCU's zones are its ZONE frames' inputs 0-15; it reports faults in the frame itself.
    by_name |= {m: BoardWiring(m, inputs=MCU_ZONES) for m in mcus}
    used = {(d.board, ch) for d in doors for ch in (d.contact, d.exit, d.tamper) if ch >= 0}
    used |= {(b.name, b.fire_input) for b in boards if b.fire_input >= 0}
    seen: set[str] = set()
    for z in zones:
        if not valid_segment(z.id):
            raise ValueError(f"bridge.zones: zone id {z.id!r}: use 1-64 letters, digits, _ . -")
        if z.id in seen:
            raise ValueError(f"bridge.zones: two zones are called {z.id!r}")
        seen.add(z.id)
        board = by_name.get(z.board)
        if board is None:
            raise ValueError(f"bridge.zones: zone {z.id} names unknown board or MCU {z.board!r}")
        if z.board in mcus and z.fault_input >= 0:
            raise ValueError(
                f"bridge.zones: zone {z.id} is on MCU {z.board}, which reports a cut or shorted "
                "loop in its ZONE frame; set fault_input = -1"
            )
        for ch in (z.input, z.fault_input) if z.fault_input >= 0 else (z.input,):
            if ch >= board.inputs:
                raise ValueError(
                    f"bridge.zones: zone {z.id} is on input {ch}, but board {z.board} reads "
                    f"only {board.inputs} inputs (raise its inputs =)"
                )
            if (z.board, ch) in used:
                raise ValueError(f"bridge.zones: input {ch} of {z.board} is wired twice")
            used.add((z.board, ch))


@dataclass
class Debounced:
    """One input's level, counted once it held for ``hold_s`` (the first reading at once)."""

    hold_s: float
    level: bool | None = None  # None: nothing read since the board (re)appeared
    _since: float | None = None  # monotonic: when the input first read the other level

    def read(self, bit: bool, mono: float, settled: bool = False) -> bool:
        """True when the counted level changed (at once when ``settled``)."""
        if self.level == bit:
            self._since = None
            return False
        if self.level is not None and not settled:
            if self._since is None:
                self._since = mono
            if mono - self._since < self.hold_s:
                return False
        self.level, self._since = bit, None
        return True

    def reset(self) -> None:
        self.level, self._since = None, None


@dataclass
class ZoneMachine:
    wiring: ZoneWiring
    state: str = "offline"  # until the board answers; then "normal", "alarm" or "tamper"
    trip: dict[str, Any] | None = None  # the last trip: {"id", "at"}
    tamper: dict[str, Any] | None = None  # the last time the loop was found cut or shorted

    def __post_init__(self) -> None:
        self._alarm = Debounced(self.wiring.debounce_s)
        self._fault = Debounced(self.wiring.debounce_s)

    def offline(self) -> bool:
        """The board stopped answering; True when that is a change."""
        changed = self.state != "offline"
        self.state = "offline"
        self._alarm.reset()
        self._fault.reset()
        return changed

    def reading(
        self, bit: bool, mono: float, now: float, fault: bool = False, settled: bool = False
    ) -> bool:
        """One poll's input (and fault bit); True when the zone's state changed. ``settled``:
        the level was debounced at the source (an MCU's ZONE frame) and counts at once."""
        alarm = bit if self.wiring.normally == "open" else not bit
        if self._alarm.read(alarm, mono, settled) and alarm:
            self.trip = {"id": new_id(), "at": now}
        if self._fault.read(fault, mono, settled) and fault:
            self.tamper = {"id": new_id(), "at": now}
        if self._alarm.level is None:
            return False
        state = "tamper" if self._fault.level else "alarm" if self._alarm.level else "normal"
        changed = state != self.state
        self.state = state
        return changed

    def report(self, now: float) -> dict[str, Any]:
        w = self.wiring
        return {
            "zone": w.id,
            "name": w.name or w.id,
            "location": w.location,
            "kind": w.kind,
            "state": self.state,
            "trip": self.trip,
            "tamper": self.tamper,
            "at": now,
        }


class Zones:
    """The zones of one bridge. Fed from the boards' threads and the MCUs' readers, read from
    the bus thread: one lock of its own around the machines."""

    def __init__(
        self, zones: Sequence[ZoneWiring], bus: Bus, clock: Clock, counters: Counter[str]
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.counters = counters
        self.machines = [ZoneMachine(z) for z in zones]
        self.lock = threading.RLock()

    def board_inputs(self, board: str, inputs: list[bool]) -> None:
        """A Modbus board's discrete inputs, polled."""
        mono, now = self.clock.monotonic(), self.clock.now()
        with self.lock:
            for m in self.machines:
                if m.wiring.board != board:
                    continue
                w = m.wiring
                bit = w.input < len(inputs) and inputs[w.input]
                fault = 0 <= w.fault_input < len(inputs) and inputs[w.fault_input]
                if m.reading(bit, mono, now, fault):
                    self._changed(m, now)

    def mcu_zone(self, mcu: str, number: int, state: str) -> None:
        """An MCU's ZONE frame: its input ``number`` is now normal, in alarm or faulty. The MCU
        debounced it, so the state counts at once."""
        mono, now = self.clock.monotonic(), self.clock.now()
        with self.lock:
            for m in self.machines:
                if m.wiring.board == mcu and m.wiring.input == number:
                    alarm = state == "alarm"
                    bit = alarm if m.wiring.normally == "open" else not alarm
                    if m.reading(bit, mono, now, state == "fault", settled=True):
                        self._changed(m, now)
                    return
            self.counters["zone.mcu_unknown_input"] += 1

    def board_down(self, board: str) -> None:
        now = self.clock.now()
        with self.lock:
            for m in self.machines:
                if m.wiring.board == board and m.offline():
                    self._publish(m, now)

    def publish_all(self) -> None:
        """After every (re)connect: a broker that restarted empty learns each zone again."""
        now = self.clock.now()
        with self.lock:
            for m in self.machines:
                self._publish(m, now)

    def status(self) -> dict[str, str]:
        with self.lock:
            return {m.wiring.id: m.state for m in self.machines}

    def _changed(self, m: ZoneMachine, now: float) -> None:
        self.counters[f"zone.{m.state}"] += 1
        self._publish(m, now)

    def _publish(self, m: ZoneMachine, now: float) -> None:
        topic = self.bus.topics.zone_state(self.bus.user, m.wiring.id)
        self.bus.publish(topic, m.report(now), retain=True)
