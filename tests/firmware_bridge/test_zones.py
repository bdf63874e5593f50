"""Alarm zones end to end on a real Mosquitto: a perimeter detector on a Modbus discrete input
of the simulated board (a pty), read and debounced by the bridge, reported as the bridge's own
zone state, raised by the core as the officer's alarm with the zone's name, and kept with that
name in the record that goes to the city platform (110-linked)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import ApiError, Bus, BusConfig, Message
from compound.app.wiring import build_core
from compound.config import BoardWiring, BridgeConfig, Config, DoorWiring, ZoneWiring
from compound.domain.clock import SystemClock
from compound.domain.model import InvalidInput
from compound.domain.uplink_records import envelope
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.services.uplink import UplinkSender
from compound.services.uplink_platform import PlatformConsumer, PlatformLink
from compound.services.zones import ZoneAlarms
from compound.store import zone_arming
from compound.store.db import Store
from devkit.simulators import VirtualRelayBoard
from firmware_bridge.bridge import Bridge
from tests.firmware_bridge.conftest import issue_door_keys, wait_for

pytestmark = pytest.mark.integration

FENCE = 5  # the board's input the north fence's beam is wired to (normally closed)
FAULT = 6  # the board's end-of-line supervision bit for that loop (cut or shorted)


@dataclass
class ZoneRig:
    store: Store
    topics: Topics
    core: Core
    board: VirtualRelayBoard
    bridge: Bridge
    seen: list[Message] = field(default_factory=list)

    def zone_states(self) -> list[dict[str, Any]]:
        topic = self.topics.zone_state("bridge", "north-fence")
        return [json.loads(m.payload) for m in list(self.seen) if m.topic == topic]

    def trips(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT data FROM events WHERE type = 'zone.tripped' ORDER BY seq")
        return [json.loads(r["data"]) for r in rows]

    def open_zone_alarms(self) -> list[Any]:
        return [a for a in self.store.alarms(open_only=True) if a.kind == "zone"]

    def trip_and_restore(self, n_trips: int) -> None:
        self.board.set_input(FENCE, False)  # the beam is broken: the loop opens
        wait_for(lambda: len(self.trips()) == n_trips, what=f"trip {n_trips} logged")
        self.board.set_input(FENCE, True)
        wait_for(lambda: self.zone_states()[-1]["state"] == "normal", what="zone normal")


@pytest.fixture
def zrig(mosquitto: Mosquitto, live_store: Store, topics: Topics) -> Iterator[ZoneRig]:
    store = live_store
    store.add_unit("3-2-1501")
    store.add_door("d1", "Door one", ["3-2"])
    clock = SystemClock()
    cfg = BusConfig(port=mosquitto.port)
    core_bus = Bus(cfg, topics, "core")
    core = build_core(store, core_bus, clock, Config())
    core.start()
    core_bus.start(timeout=10)
    board = VirtualRelayBoard(unit=1)
    board.set_input(FENCE, True)  # a closed loop: the fence is quiet
    board.start()
    config = BridgeConfig(
        poll_interval_s=0.02,
        boards=[BoardWiring("b1", board.port, 115200, 1, 8, 7)],
        doors=[DoorWiring("d1", "b1", 0, 0, 1, 2)],
        zones=[
            ZoneWiring(
                "north-fence",
                "North fence",
                "between gates 2 and 3",
                "b1",
                FENCE,
                fault_input=FAULT,
                debounce_s=0.1,
            )
        ],
    )
    bridge_bus = Bus(cfg, topics, "bridge")
    bridge = Bridge(config, bridge_bus, clock, issue_door_keys(store, ("d1",)).__getitem__)
    r = ZoneRig(store, topics, core, board, bridge)
    watcher = Bus(cfg, topics, "watcher")
    watcher.subscribe(topics.all("zone/#"), r.seen.append)
    watcher.start(timeout=10)
    bridge.start()
    bridge_bus.start(timeout=10)
    wait_for(lambda: [s for s in r.zone_states() if s["state"] == "normal"], what="zone normal")
    yield r
    watcher.stop()
    bridge.stop()
    bridge_bus.stop()
    core.stop()
    core_bus.stop()
    board.stop()


def test_a_tripped_perimeter_zone_is_an_alarm_with_its_name_up_to_the_platform(
    zrig: ZoneRig,
) -> None:
    assert zrig.trips() == []  # a quiet fence at start is no trip
    zrig.trip_and_restore(1)
    (trip,) = zrig.trips()
    assert trip["name"] == "North fence" and trip["kind"] == "perimeter"
    assert trip["location"] == "between gates 2 and 3"
    assert trip["actor"] == "bridge" and trip["bridge"] == "bridge"  # the topic's user, logged
    (alarm,) = wait_for(zrig.open_zone_alarms, what="the zone alarm")
    assert alarm.severity == "critical"
    assert alarm.message == "North fence (between gates 2 and 3): perimeter alarm"
    # The officer wall's list (alarm.page, as the wall asks for it) shows it by name.
    console = Bus(BusConfig(port=zrig.core.bus.config.port), zrig.topics, "wall")
    console.start(timeout=10)
    try:
        page = console.request("alarm.page", {"open": True})
        zones = console.request("zone.list", {})
    finally:
        console.stop()
    assert any("North fence" in str(a) for a in page["items"])
    assert [(z["zone"], z["state"], z["bridge"]) for z in zones["zones"]] == [
        ("north-fence", "normal", "bridge")
    ]
    # The platform's record: 110-linked, with the zone's name and where it is; no picture.
    rows = zrig.store.query("SELECT * FROM outbox ORDER BY seq")
    records = [envelope("t1", r).get("record") or {} for r in rows]
    (up,) = [r for r in records if r.get("kind") == "zone"]
    assert up["police_110"] is True and up["zone_name"] == "North fence"
    assert up["zone"] == "north-fence" and up["location"] == "between gates 2 and 3"
    assert up["zone_kind"] == "perimeter" and "North fence" in up["message"]


def test_a_second_trip_while_the_alarm_is_open_is_logged_not_raised_again(
    zrig: ZoneRig,
) -> None:
    zrig.trip_and_restore(1)
    zrig.trip_and_restore(2)  # a flapping detector: one alarm on the wall, each trip logged
    assert len(zrig.open_zone_alarms()) == 1
    (alarm,) = zrig.open_zone_alarms()
    zrig.store.acknowledge_alarm(alarm.id, "officer", "fox on the fence")
    zrig.trip_and_restore(3)
    wait_for(lambda: len(zrig.open_zone_alarms()) == 1, what="a new alarm after the ack")


def test_the_retained_state_heard_again_logs_the_trip_once(zrig: ZoneRig) -> None:
    """A core that subscribes again (restart, reconnect) gets the retained state with the last
    trip: it is not logged twice."""
    zrig.trip_and_restore(1)
    ext = next(e for e in zrig.core.extensions if isinstance(e, ZoneAlarms))
    again = zrig.core.counters["zone.trip_again"]
    ext.stop()
    ext.start()
    wait_for(lambda: zrig.core.counters["zone.trip_again"] > again, what="redelivery seen")
    assert len(zrig.trips()) == 1 and len(zrig.open_zone_alarms()) == 1


def test_the_board_going_silent_makes_the_zone_offline(zrig: ZoneRig) -> None:
    zrig.board.answering = False
    wait_for(lambda: zrig.zone_states()[-1]["state"] == "offline", what="zone offline")
    assert zrig.bridge.status()["zones"] == {"north-fence": "offline"}
    zrig.board.answering = True
    wait_for(lambda: zrig.zone_states()[-1]["state"] == "normal", what="zone back")
    assert zrig.trips() == []


def test_a_disarmed_zone_logs_its_trips_raises_nothing_and_a_cut_loop_still_raises_tamper(
    zrig: ZoneRig,
) -> None:
    console = Bus(BusConfig(port=zrig.core.bus.config.port), zrig.topics, "wall")
    console.start(timeout=10)
    try:
        off = console.request(
            "zone.disarm", {"zone": "north-fence", "by": "officer Li", "reason": "fence repair"}
        )
        assert off["armed"] is False
        zrig.trip_and_restore(1)
        (trip,) = zrig.trips()
        assert trip["armed"] is False
        assert zrig.open_zone_alarms() == []  # logged in the same transaction as an alarm would be
        zrig.board.set_input(FAULT, True)  # someone cut the loop
        tamper = wait_for(
            lambda: [a for a in zrig.store.alarms(open_only=True) if a.kind == "zone_tamper"],
            what="the tamper alarm",
        )
        assert "North fence" in tamper[0].message and "cut or shorted" in tamper[0].message
        zrig.board.set_input(FAULT, False)
        assert console.request("zone.arm", {"zone": "north-fence", "by": "officer Li"})["armed"]
        zrig.trip_and_restore(2)
        wait_for(zrig.open_zone_alarms, what="the armed zone's alarm")
        listed = console.request("zone.list", {})["zones"]
        assert [(z["zone"], z["armed"]) for z in listed] == [("north-fence", True)]
        with pytest.raises(ApiError, match="unknown zone"):
            console.request("zone.disarm", {"zone": "south-fence", "by": "officer Li"})
    finally:
        console.stop()
    logged = [
        (json.loads(r["data"])["actor"], json.loads(r["data"])["by"], r["type"])
        for r in zrig.store.query(
            "SELECT type, data FROM events WHERE type IN ('zone.armed', 'zone.disarmed')"
            " ORDER BY seq"
        )
    ]
    assert logged == [
        ("wall", "officer Li", "zone.disarmed"),
        ("wall", "officer Li", "zone.armed"),
    ]


def test_a_24_hour_zone_cannot_be_disarmed(zrig: ZoneRig) -> None:
    with pytest.raises(InvalidInput, match="armed day and night"):
        zone_arming.set_armed(zrig.store, "bridge", "gas-1", "gas", False, "officer", "", "")
    assert zone_arming.is_armed(zrig.store, "bridge", "gas-1", "gas")


def test_the_zone_alarm_reaches_the_platform_with_the_zones_name(zrig: ZoneRig) -> None:
    """Through the uplink to a second Mosquitto standing in for the city platform, whose
    reference consumer releases the site's records in order: the 110 record names the zone."""
    zrig.trip_and_restore(1)
    wait_for(zrig.open_zone_alarms, what="the zone alarm")
    first = zrig.store.one("SELECT MIN(seq) AS s FROM outbox")
    assert first is not None
    city = Mosquitto().start()
    got: list[dict[str, Any]] = []
    consumer = PlatformConsumer(start={"zsite": first["s"]}, on_record=got.append)
    platform = Bus(BusConfig(port=city.port), Topics("city"), "platform")
    link = PlatformLink(platform, consumer, prefix="city")
    edge = Bus(BusConfig(port=city.port), Topics("zsite"), "uplink")
    sender = UplinkSender(
        zrig.store, edge, "zsite", prefix="city", require_platform_ack=True, confirm_timeout_s=1.0
    )
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), kwargs={"idle_s": 0.02})
    try:
        platform.start(timeout=10)
        link.start()
        edge.start(timeout=10)
        thread.start()
        (up,) = wait_for(
            lambda: [r["record"] for r in list(got) if r.get("record", {}).get("kind") == "zone"],
            what="the zone record at the platform",
        )
    finally:
        stop.set()
        thread.join(10)
        edge.stop()
        link.stop()
        platform.stop()
        city.cleanup()
    assert up["police_110"] is True and up["zone_name"] == "North fence"
    assert up["location"] == "between gates 2 and 3" and up["zone_kind"] == "perimeter"
