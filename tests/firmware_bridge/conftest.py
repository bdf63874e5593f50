"""A whole door rig for the integration tests: Mosquitto, core, bridge and byte-level peers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.app import devices
from compound.app.wiring import build_core
from compound.config import BoardWiring, BridgeConfig, Config, DoorWiring, McuWiring
from compound.domain.clock import SystemClock
from compound.protocol.acl import Device
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.store.db import Store
from devkit.simulators import VirtualIntercomMCU, VirtualRelayBoard
from firmware_bridge.bridge import Bridge
from firmware_bridge.door_keys import load_door_keys

# Board inputs: door contact 0, exit button 1, tamper 2, fire panel 7.
CONTACT, EXIT, TAMPER, FIRE = 0, 1, 2, 7


def wait_for(cond: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Rig:
    broker: Mosquitto
    store: Store
    topics: Topics
    core: Core
    core_bus: Bus
    bridge: Bridge
    bridge_bus: Bus
    board: VirtualRelayBoard
    mcu: VirtualIntercomMCU
    watcher: Bus
    state_dir: Path  # the rig's bridge keeps its journal of door events here
    seen: list[Message] = field(default_factory=list)

    def messages(self, suffix: str) -> list[Message]:
        return [m for m in list(self.seen) if m.topic.endswith(suffix)]

    def events(self, door: str = "d1") -> list[str]:
        import json

        return [json.loads(m.payload)["type"] for m in self.messages(f"door/{door}/event")]

    def bus(self, client_id: str) -> Bus:
        b = Bus(BusConfig(port=self.broker.port), self.topics, client_id)
        b.start(timeout=10)
        self.extra.append(b)
        return b

    extra: list[Bus] = field(default_factory=list)


def bridge_config(board: VirtualRelayBoard, mcu: VirtualIntercomMCU, **door: Any) -> BridgeConfig:
    return BridgeConfig(
        poll_interval_s=0.02,
        mcu_heartbeat_timeout_s=1.0,
        boards=[BoardWiring("b1", board.port, 115200, 1, 8, FIRE)],
        doors=[
            DoorWiring("d1", "b1", 0, CONTACT, EXIT, TAMPER, **door),
            DoorWiring("d2", "b1", 1, 3, 4, -1, lock="maglock", egress=True),
        ],
        mcus=[McuWiring("m1", mcu.port, 115200, "d1")],
    )


def issue_door_keys(store: Store, doors: tuple[str, ...] = ("d1", "d2")) -> dict[str, bytes]:
    """As an installer does: `compound devices add bridge --role bridge --door d1 --door d2
    --key-dir <store keys>`; the bridge then reads its doors' key files, never the master key."""
    issued = devices.add(store, Device("bridge", "bridge", doors=doors), "installer")
    devices.write_key_files(store.key_dir, issued.door_keys)
    return load_door_keys(store.key_dir, doors)


@pytest.fixture
def rig(mosquitto: Mosquitto, live_store: Store, topics: Topics, tmp_path: Path) -> Iterator[Rig]:
    store = live_store
    store.add_unit("3-2-1501")
    store.add_door("d1", "Door one", ["3-2"])
    store.add_door("d2", "Door two", ["3-2"], lock_type="maglock")
    pid = store.add_person("张伟", "3-2-1501", "owner")
    store.add_card(pid, "10001")
    clock = SystemClock()
    cfg = BusConfig(port=mosquitto.port)
    core_bus = Bus(cfg, topics, "core")
    core = build_core(store, core_bus, clock, Config())
    core.start()
    core_bus.start(timeout=10)
    board = VirtualRelayBoard(unit=1)
    mcu = VirtualIntercomMCU(heartbeat_s=0.3)
    board.start()
    mcu.start()
    door_keys = issue_door_keys(store)
    bridge_bus = Bus(cfg, topics, "bridge")
    state_dir = tmp_path / "bridge-state"
    bridge = Bridge(
        bridge_config(board, mcu, held_open_s=2.0, open_time_s=3.0),
        bridge_bus,
        clock,
        door_keys.__getitem__,
        state_dir=state_dir,
    )
    bridge.start()
    bridge_bus.start(timeout=10)
    watcher = Bus(cfg, topics, "watcher")
    r = Rig(
        mosquitto, store, topics, core, core_bus, bridge, bridge_bus, board, mcu, watcher, state_dir
    )
    watcher.subscribe(topics.all("#"), r.seen.append)
    watcher.start(timeout=10)
    wait_for(
        lambda: (
            all(d["state"] == "locked" for d in bridge.status()["doors"].values())
            and board.coils[1]
        ),
        what="doors online and locked",
    )
    yield r
    for b in r.extra:
        b.stop()
    watcher.stop()
    bridge.stop()
    bridge_bus.stop()
    # The core running now: a test may have stopped the first and started another on the same
    # store (tests/firmware_bridge/test_event_delivery.py), which must stop before the store
    # closes, or its threads go on ticking on a closed database in the tests after this one.
    r.core.stop()
    r.core_bus.stop()
    board.stop()
    mcu.stop()
