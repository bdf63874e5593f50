"""The door hardware in ``compound demo``: simulated boards, an entrance MCU and indoor stations.

The bridge runs exactly as in production against byte-level simulators on pty pairs; a short
script plays residents and visitors: a card, a walk-through, an exit button, a door held open,
a forced door, a fire alarm and a dialled call answered from an indoor station.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from compound.adapters import keys
from compound.adapters.mqtt import Bus
from compound.config import BoardWiring, BridgeConfig, DoorWiring, McuWiring, ZoneWiring
from devkit.simulators import VirtualIndoorStation, VirtualIntercomMCU, VirtualRelayBoard
from firmware_bridge.bridge import Bridge

if TYPE_CHECKING:
    from devkit.env import DemoEnv

FIRE_INPUT = 15
FENCE_INPUT = 12  # a perimeter beam along the north fence (normally open: quiet is off)


def demo_wiring(env: DemoEnv, board: VirtualRelayBoard, mcu: VirtualIntercomMCU) -> BridgeConfig:
    doors = []
    for i, d in enumerate(env.seed["doors"]):
        doors.append(
            DoorWiring(
                d["id"], "board1", i, 3 * i, 3 * i + 1, 3 * i + 2,
                lock=d.get("lock", "strike"), open_time_s=4.0, held_open_s=4.0,
            )
        )  # fmt: skip
    return BridgeConfig(
        poll_interval_s=0.05,
        boards=[BoardWiring("board1", board.port, 9600, 1, 16, FIRE_INPUT)],
        doors=doors,
        mcus=[McuWiring("mcu-b3-e2", mcu.port, 115200, "b3-e2")],
        zones=[
            ZoneWiring(
                "north-fence", "北围墙 North fence", "gate to building 2", "board1",
                FENCE_INPUT, normally="open", debounce_s=0.1,
            )
        ],
    )  # fmt: skip


class HardwareDemo:
    def __init__(self, env: DemoEnv) -> None:
        self.env = env
        self.board = VirtualRelayBoard(unit=1, channels=16)
        self.mcu = VirtualIntercomMCU("mcu-b3-e2")
        self.bus = Bus(env.bus_config, env.topics, "bridge")
        self.station_bus = Bus(env.bus_config, env.topics, "indoor-stations")
        wiring = demo_wiring(env, self.board, self.mcu)
        # The bridge holds only its doors' command keys, derived as the core derives them (in
        # production `compound devices add --role bridge --door ... --key-dir` writes them).
        master = env.store.master_key
        door_keys = {d.id: keys.door_command_key(master, d.id) for d in wiring.doors}
        self.bridge = Bridge(
            wiring, self.bus, env.clock, door_keys.__getitem__, state_dir=env.workdir / "bridge"
        )
        self.door_index = {d["id"]: i for i, d in enumerate(env.seed["doors"])}
        self._thread = threading.Thread(target=self._script, name="door-script", daemon=True)

    def start(self) -> None:
        self.board.start()
        self.mcu.start()
        with self.env.store.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO intercom_stations (station, ring_group, added_at)"
                " VALUES ('st-3-2-1501', '3-2-1501', ?)",
                (self.env.clock.now(),),
            )
        VirtualIndoorStation(self.station_bus, "st-3-2-1501", "3-2-1501").start()
        self.station_bus.start()
        self.bridge.start()
        self.bus.start()
        self._thread.start()

    def stop(self) -> None:
        self._thread.join(3)
        self.bridge.stop()
        self.bus.stop()
        self.station_bus.stop()
        self.board.stop()
        self.mcu.stop()

    def _wait(self, seconds: float) -> bool:
        return not self.env.stop.wait(seconds)

    def _contact(self, door: str, is_open: bool) -> None:
        self.board.set_input(3 * self.door_index[door], is_open)

    def _script(self) -> None:
        say, b = self.env.say, self.board
        steps = [
            ("the north fence's perimeter beam is broken", self._fence),
            ("card 10001 at b3-e2; the resident walks through", self._card_walk),
            ("exit button at b1-e1", self._exit),
            ("b2-e1 left open after the exit button", self._held),
            ("b1-e1 pushed open without a grant", self._forced),
            ("fire alarm input", self._fire),
            ("visitor dials 1501 at b3-e2", self._dial),
        ]
        if not self._wait(2.0):
            return
        for text, step in steps:
            say(f"-- demo: {text}")
            if not step(b):
                return
        # Then everyday traffic: residents' cards and, now and then, an unknown card.
        cards = [10001, 10002, 10003, 99999]
        n = 0
        while self._wait(2.0):
            self.mcu.card(cards[n % len(cards)])
            n += 1

    def _fence(self, b: VirtualRelayBoard) -> bool:
        # Broken long enough to be read twice past the debounce while the face demo keeps the
        # processors busy.
        b.set_input(FENCE_INPUT, True)
        if not self._wait(1.5):
            return False
        b.set_input(FENCE_INPUT, False)
        return self._wait(0.3)

    def _card_walk(self, b: VirtualRelayBoard) -> bool:
        self.mcu.card(10001)
        if not self._wait(1.0):
            return False
        return self._open_for("b3-e2", 1.0)

    def _exit(self, b: VirtualRelayBoard) -> bool:
        return self._exit_and_walk(b, "b1-e1", open_for=1.0)

    def _held(self, b: VirtualRelayBoard) -> bool:
        # Left open longer than the door's held-open time: the alarm follows.
        return self._exit_and_walk(b, "b2-e1", open_for=5.0)

    def _exit_and_walk(self, b: VirtualRelayBoard, door: str, open_for: float) -> bool:
        """Someone presses the exit button, opens the door, and closes it ``open_for`` later."""
        i = self.door_index[door]
        b.set_input(3 * i + 1, True)
        if not self._wait(0.3):
            return False
        b.set_input(3 * i + 1, False)
        return self._open_for(door, open_for)

    def _open_for(self, door: str, seconds: float) -> bool:
        self._contact(door, True)
        if not self._wait(seconds):
            return False
        self._contact(door, False)
        return self._wait(1.0)

    def _forced(self, b: VirtualRelayBoard) -> bool:
        # Not the gate: the face demo keeps opening that one with residents' faces.
        return self._open_for("b1-e1", 1.0)

    def _fire(self, b: VirtualRelayBoard) -> bool:
        b.set_input(FIRE_INPUT, True)
        if not self._wait(2.0):
            return False
        b.set_input(FIRE_INPUT, False)
        return self._wait(1.0)

    def _dial(self, b: VirtualRelayBoard) -> bool:
        self.mcu.dial("1501")
        if not self._wait(3.5):
            return False
        self._contact("b3-e2", True)
        if not self._wait(1.0):
            return False
        self._contact("b3-e2", False)
        return self._wait(1.0)
