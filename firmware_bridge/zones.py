"""Alarm zones (区域报警) on the Modbus boards' discrete inputs: read, debounced, reported.

A zone is a perimeter beam or fence detector, or an intrusion detector, wired to one input of a
relay/input board (``[[bridge.zones]]``, ``compound.config.ZoneWiring``). The bridge does not
decide what an alarm means; it says what the input does, as itself:

- ``ZoneMachine`` (pure, monotonic time injected): the input as the zone's alarm level
  (normally closed: an open loop, so also a cut wire, is an alarm; normally open: a closed one),
  debounced: a new level counts once it has held for ``debounce_s`` on every poll since. The
  first reading after the board answers is taken as it is: a zone found in alarm at boot is in
  alarm. Each change to alarm is a trip with an id of its own.
- ``Zones``: the machines of one bridge, fed each board's readings on that board's thread (under
  the bridge's lock); it publishes each zone's state, retained, on
  ``zone/<bridge user>/<zone>/state``: ``{"zone", "name", "location", "kind", "state": "normal"
  | "alarm" | "offline", "trip": {"id", "at"} | null, "at"}``. ``trip`` is the last trip, kept
  after the zone is normal again, so a core that was down during a short trip still learns of it
  from the retained state and raises the alarm once (it logs trip ids). The broker's ACL lets a
  bridge write only under its own user name, so a zone report cannot pose as a door, nor as
  another bridge's zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from compound.adapters.mqtt import Bus
from compound.config import BoardWiring, DoorWiring, ZoneWiring
from compound.domain.clock import Clock
from compound.protocol.messages import new_id
from compound.protocol.topics import valid_segment


def check_zones(
    zones: Sequence[ZoneWiring], boards: Sequence[BoardWiring], doors: Sequence[DoorWiring]
) -> None:
    """``ValueError`` naming the first mistake in the zones of the config."""
    by_name = {b.name: b for b in boards}
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
            raise ValueError(f"bridge.zones: zone {z.id} names unknown Modbus board {z.board!r}")
        if z.input >= board.inputs:
            raise ValueError(
                f"bridge.zones: zone {z.id} is on input {z.input}, but board {z.board} reads "
                f"only {board.inputs} inputs (raise its inputs =)"
            )
        if (z.board, z.input) in used:
            raise ValueError(f"bridge.zones: input {z.input} of {z.board} is wired twice")
        used.add((z.board, z.input))


@dataclass
class ZoneMachine:
    wiring: ZoneWiring
    state: str = "offline"  # "offline" until the board answers, then "normal" or "alarm"
    _pending_since: float | None = None  # monotonic: when the input first read the new level
    trip: dict[str, Any] | None = None  # the last trip: {"id", "at"}

    def offline(self) -> bool:
        """The board stopped answering; True when that is a change."""
        changed = self.state != "offline"
        self.state, self._pending_since = "offline", None
        return changed

    def reading(self, bit: bool, mono: float, now: float) -> bool:
        """One poll's input; True when the zone's state changed (a trip starts a new one)."""
        alarm = bit if self.wiring.normally == "open" else not bit
        level = "alarm" if alarm else "normal"
        if self.state == level:
            self._pending_since = None
            return False
        if self.state != "offline":
            if self._pending_since is None:
                self._pending_since = mono
            if mono - self._pending_since < self.wiring.debounce_s:
                return False
        self.state, self._pending_since = level, None
        if alarm:
            self.trip = {"id": new_id(), "at": now}
        return True

    def report(self, now: float) -> dict[str, Any]:
        w = self.wiring
        return {
            "zone": w.id,
            "name": w.name or w.id,
            "location": w.location,
            "kind": w.kind,
            "state": self.state,
            "trip": self.trip,
            "at": now,
        }


class Zones:
    def __init__(
        self, zones: Sequence[ZoneWiring], bus: Bus, clock: Clock, counters: Counter[str]
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.counters = counters
        self.machines = [ZoneMachine(z) for z in zones]

    def board_inputs(self, board: str, inputs: list[bool]) -> None:
        mono, now = self.clock.monotonic(), self.clock.now()
        for m in self.machines:
            if m.wiring.board != board:
                continue
            bit = m.wiring.input < len(inputs) and inputs[m.wiring.input]
            if m.reading(bit, mono, now):
                self.counters[f"zone.{m.state}"] += 1
                self._publish(m, now)

    def board_down(self, board: str) -> None:
        now = self.clock.now()
        for m in self.machines:
            if m.wiring.board == board and m.offline():
                self._publish(m, now)

    def publish_all(self) -> None:
        """After every (re)connect: a broker that restarted empty learns each zone again."""
        now = self.clock.now()
        for m in self.machines:
            self._publish(m, now)

    def status(self) -> dict[str, str]:
        return {m.wiring.id: m.state for m in self.machines}

    def _publish(self, m: ZoneMachine, now: float) -> None:
        topic = self.bus.topics.zone_state(self.bus.user, m.wiring.id)
        self.bus.publish(topic, m.report(now), retain=True)
