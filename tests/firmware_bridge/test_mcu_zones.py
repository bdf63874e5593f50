"""A zone on an entrance MCU, end to end on a real Mosquitto: the simulated MCU on a pty sends
ZONE frames (debounced on the MCU), the bridge reports the zone as its own, the core raises the
alarm with the zone's name, a fault frame raises tamper, and the MCU falling silent makes the
zone offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.app.wiring import build_core
from compound.config import BoardWiring, BridgeConfig, Config, DoorWiring, McuWiring, ZoneWiring
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.store.db import Store
from devkit.simulators import VirtualIntercomMCU, VirtualRelayBoard
from firmware_bridge.bridge import Bridge
from tests.firmware_bridge.conftest import issue_door_keys, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def site(
    mosquitto: Mosquitto, live_store: Store, topics: Topics
) -> Iterator[tuple[Store, VirtualIntercomMCU, Bridge, list[Message]]]:
    store = live_store
    store.add_unit("3-2-1501")
    store.add_door("d1", "Door one", ["3-2"])
    cfg = BusConfig(port=mosquitto.port)
    core_bus = Bus(cfg, topics, "core")
    core = build_core(store, core_bus, SystemClock(), Config())
    core.start()
    core_bus.start(timeout=10)
    board, mcu = VirtualRelayBoard(unit=1), VirtualIntercomMCU(heartbeat_s=0.3)
    board.start()
    mcu.start()
    config = BridgeConfig(
        poll_interval_s=0.02,
        mcu_heartbeat_timeout_s=1.0,
        boards=[BoardWiring("b1", board.port, 115200, 1, 8, 7)],
        doors=[DoorWiring("d1", "b1", 0, 0, 1, 2)],
        mcus=[McuWiring("m1", mcu.port, 115200, "d1")],
        zones=[ZoneWiring("hall-pir", "Hall PIR", "lobby of 3-2", "m1", 3, kind="intrusion")],
    )
    seen: list[Message] = []
    watcher = Bus(cfg, topics, "watcher")
    watcher.subscribe(topics.all("zone/#"), seen.append)
    watcher.start(timeout=10)
    bridge_bus = Bus(cfg, topics, "bridge")
    bridge = Bridge(config, bridge_bus, SystemClock(), issue_door_keys(store, ("d1",)).__getitem__)
    bridge.start()
    bridge_bus.start(timeout=10)
    yield store, mcu, bridge, seen
    watcher.stop()
    bridge.stop()
    bridge_bus.stop()
    core.stop()
    core_bus.stop()
    board.stop()
    mcu.stop()


def states(seen: list[Message]) -> list[str]:
    return [json.loads(m.payload)["state"] for m in list(seen)]


def open_alarms(store: Store, kind: str) -> list[Any]:
    return [a for a in store.alarms(open_only=True) if a.kind == kind]


def test_an_mcu_zone_frame_raises_the_named_alarm_and_a_fault_raises_tamper(
    site: tuple[Store, VirtualIntercomMCU, Bridge, list[Message]],
) -> None:
    store, mcu, bridge, seen = site
    wait_for(lambda: bridge.status()["mcus"]["m1"], what="the MCU heard")
    mcu.zone(3, "normal")  # as after its power-up
    wait_for(lambda: "normal" in states(seen), what="zone normal")
    mcu.zone(3, "alarm")
    (alarm,) = wait_for(lambda: open_alarms(store, "zone"), what="the zone alarm")
    assert alarm.message == "Hall PIR (lobby of 3-2): intrusion alarm"
    mcu.zone(3, "fault")
    (tamper,) = wait_for(lambda: open_alarms(store, "zone_tamper"), what="the tamper alarm")
    assert "Hall PIR" in tamper.message
    mcu.zone(9, "alarm")  # an input no zone is wired to: counted, nothing else
    wait_for(lambda: bridge.status()["counters"].get("zone.mcu_unknown_input"), what="counted")
    mcu.powered = False  # the MCU falls silent: its zone is offline
    wait_for(lambda: states(seen)[-1] == "offline", what="zone offline")
    assert len(open_alarms(store, "zone")) == 1
