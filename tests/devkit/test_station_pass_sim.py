"""The simulated indoor station invites a visitor (what `compound simulate --station ...
--issue-pass NAME` does), on a real Mosquitto without broker users, as in the demo: the unit
comes from the station's entry in the intercom registry, and a client that is no registered
station (or the desk's) is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import ApiError, Bus, BusConfig
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.protocol.topics import Topics
from compound.store.db import Store
from devkit.simulators import VirtualIndoorStation

pytestmark = pytest.mark.integration


@pytest.fixture
def station_bus(
    mosquitto: Mosquitto, store: Store, clock: ManualClock, topics: Topics
) -> Iterator[dict[str, Bus]]:
    store.add_unit("3-2-1501")
    store.add_door("d1", "Entrance", ["3-2"])
    store.add_station("st-1501", "3-2-1501", ("desk", "officer"))
    store.add_station("desk-1", "desk", ("desk", "officer"))
    core_bus = Bus(BusConfig(port=mosquitto.port), topics, "core")
    core = build_core(store, core_bus, clock, Config())
    core.start()
    core_bus.start(timeout=10)
    buses = {n: Bus(BusConfig(port=mosquitto.port), topics, n) for n in ("st-1501", "desk-1")}
    for b in buses.values():
        b.start(timeout=10)
    yield buses
    for b in buses.values():
        b.stop()
    core.stop()
    core_bus.stop()


def test_the_simulated_station_issues_a_pass_for_its_unit(
    station_bus: dict[str, Bus], store: Store
) -> None:
    sim = VirtualIndoorStation(station_bus["st-1501"], "st-1501", "3-2-1501")
    got = sim.issue_pass("王五", hours=3, uses=1)
    assert got["unit"] == "3-2-1501" and len(got["token"]) >= 20
    cred, person = store.find_credential("pass", got["token"])
    assert cred is not None and person is not None
    assert (person.name, str(person.unit), str(person.role)) == ("王五", "3-2-1501", "visitor")
    # The desk's station rings for a group, not a flat: it has no unit to invite anyone to.
    desk = VirtualIndoorStation(station_bus["desk-1"], "desk-1", "desk")
    with pytest.raises(ApiError, match="only an indoor station"):
        desk.issue_pass("王五")
