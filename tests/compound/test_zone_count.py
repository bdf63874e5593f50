"""A bridge cannot make the core keep more alarm zones than a bridge can wire.

A zone is known to the core from its reports (``zone/<bridge>/<zone>/state``, the zone named by
the bridge). Each new name was kept in memory for good and listed to the officer: a bridge taken
over could name a new zone in every report and grow the core without end. Past ``MAX_ZONES`` per
bridge a new zone's report is refused and counted; the zones already heard, and other bridges'
zones, are taken as before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compound.app.wiring import core_features
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.ports import Message
from compound.protocol.messages import canonical
from compound.services.core import Core
from compound.services.zones import MAX_ZONES, ZoneAlarms
from compound.store.db import Store
from tests.compound.test_api_bounds import QuietBus


@pytest.fixture
def zones(store: Store, clock: ManualClock) -> Iterator[tuple[Core, ZoneAlarms]]:
    core = Core(store, QuietBus(), clock, Config(), features=core_features)  # type: ignore[arg-type]
    core.start()
    yield core, next(e for e in core.extensions if isinstance(e, ZoneAlarms))
    core.stop()


def report(core: Core, bridge: str, zone: str, state: str = "normal") -> Message:
    body = {"zone": zone, "kind": "perimeter", "state": state, "at": core.clock.now()}
    return Message(core.topics.zone_state(bridge, zone), canonical(body))


def test_a_bridge_naming_ever_new_zones_is_refused_past_the_most_a_bridge_wires(
    zones: tuple[Core, ZoneAlarms],
) -> None:
    core, z = zones
    for i in range(MAX_ZONES + 10):
        z.on_state(report(core, "bridge1", f"z{i}"))
    assert len([k for k in z.states if k[0] == "bridge1"]) == MAX_ZONES
    assert core.counters["zone.too_many"] == 10
    # A zone already heard is still taken, and so is another bridge's.
    z.on_state(report(core, "bridge1", "z0", "alarm"))
    assert z.states[("bridge1", "z0")]["state"] == "alarm"
    z.on_state(report(core, "bridge2", "z0"))
    assert ("bridge2", "z0") in z.states
    assert core.counters["zone.too_many"] == 10
