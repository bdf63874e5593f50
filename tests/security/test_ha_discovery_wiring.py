"""A door dropped from a bridge's wiring, while its registration still lists it, leaves no Home
Assistant entity behind; and no bridge can make that happen to another bridge's doors. On a real
Mosquitto with the shipped config and ACL.

The bridge says which doors it is wired for on its own retained ``device/<user>/doors``
(``compound.protocol.door_list``), before its discovery configs; the core takes it only as far
as the registration goes, and clears the configs of a registered door not on it. Judged by what
Home Assistant would read (the ``ha`` user's view of ``homeassistant/#``), and an absence
behind fences, never a sleep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from compound.adapters.mqtt import Bus
from compound.protocol.door_list import encode_door_list
from compound.protocol.messages import new_id
from compound.protocol.topics import ha_discovery_topic
from tests.security.conftest import SecuredBroker, Seen, devices_store, running_core
from tests.security.test_ha_discovery_stale import D1, D2, WAIT_S, last, publish_discovery, retained

pytestmark = [pytest.mark.integration]


@pytest.fixture
def ha_view(secured: SecuredBroker) -> Iterator[Seen]:
    bus = secured.bus("ha1", client_id=f"ha1-watch-{new_id()[:8]}")
    seen = Seen()
    bus.subscribe("homeassistant/#", seen)
    bus.start(timeout=10)
    yield seen
    bus.stop()


def start_wired(secured: SecuredBroker, doors: list[str]) -> Bus:
    """bridge1 (registered for d1 and d2) starting wired for ``doors``: what it publishes on
    every connect, its list of doors first, then their discovery configs, all retained. Under
    a client id of its own, whose availability the broker refuses: the list alone has the
    core look again."""
    bus = secured.bus("bridge1", client_id=f"bridge1-{new_id()[:8]}")
    bus.start(timeout=10)
    bus.publish(secured.topics.bridge_doors("bridge1"), encode_door_list(doors), retain=True)
    publish_discovery(bus, secured, doors)
    return bus


def forget_list(bus: Bus, secured: SecuredBroker) -> None:
    """Leave no list behind for the next test (an empty retained payload clears it)."""
    bus.publish(secured.topics.bridge_doors("bridge1"), b"", retain=True)
    bus.stop()


def present(seen: Seen, topics: set[str]) -> bool:
    return all(last(seen, t) for t in topics)


def test_a_door_dropped_from_its_bridges_wiring_loses_its_configs(
    secured: SecuredBroker, ha_view: Seen
) -> None:
    with running_core(secured, devices_store(secured)) as core:
        bridge = start_wired(secured, ["d1", "d2"])
        try:
            assert ha_view.wait_for(lambda _: present(ha_view, D1 | D2), WAIT_S)
            bridge.stop()
            # Restarted wired for d1 alone; its registration still says d1 and d2.
            bridge = start_wired(secured, ["d1"])
            assert ha_view.wait_for(lambda _: not any(last(ha_view, t) for t in D2), WAIT_S), (
                "a door off its bridge's wiring kept its Home Assistant configs"
            )
            now = retained(secured)  # Home Assistant starting now
            assert set(now) >= D1 and not set(now) & D2, sorted(now)
            assert all(now[t] for t in D1)
            assert core.counters["ha_discovery.stale_cleared"] == len(D2)
        finally:
            forget_list(bridge, secured)


def test_a_bridge_cannot_write_another_bridges_list(secured: SecuredBroker, ha_view: Seen) -> None:
    """bridge2 says bridge1 serves no door: the broker refuses it (a fence from bridge2 comes,
    the forged list never does), and bridge1's doors keep their configs, as a recheck of the
    core behind it shows (a door no bridge serves, d9, cleared in that recheck)."""
    rc, out, err = secured.cli(
        "devices", "add", "bridge2", "--role", "bridge", "--door", "d3", "--json", "--by", "t"
    )
    assert rc == 0, err
    secured.passwords["bridge2"] = json.loads(out)["password"]
    t = secured.topics
    watch, lists = secured.bus("watch"), Seen()  # a core user: reads every list
    watch.subscribe(t.bridge_doors("+"), lists)
    watch.start(timeout=10)
    other = secured.bus("bridge2")
    other.start(timeout=10)
    with running_core(secured, devices_store(secured)) as core:
        bridge = start_wired(secured, ["d1", "d2"])
        try:
            assert ha_view.wait_for(lambda _: present(ha_view, D1 | D2), WAIT_S)
            other.publish(t.bridge_doors("bridge1"), b"[]", retain=True)
            fence = encode_door_list(["d3"])
            other.publish(t.bridge_doors("bridge2"), fence, retain=True)  # its own: allowed
            assert lists.wait_for(
                lambda m: m.topic == t.bridge_doors("bridge2") and m.payload == fence, WAIT_S
            ), "bridge2's own list never came: the test cannot judge"
            forged = [m for m in lists.since(0) if m.topic == t.bridge_doors("bridge1")]
            assert [m.payload for m in forged] == [encode_door_list(["d1", "d2"])], forged
            # The core's recheck fence: a config of a door no bridge serves asks a recheck,
            # which reads every list that came before it and clears d9's.
            d9 = ha_discovery_topic("lock", t.site, "d9")
            watch.publish(d9, b"{}", qos=1, retain=True)
            assert ha_view.wait_for(lambda m: m.topic == d9 and m.payload == b"", WAIT_S)
            now = retained(secured)
            assert set(now) >= D1 | D2 and all(now[x] for x in D1 | D2), sorted(now)
            assert d9 not in now
            assert core.counters["ha_discovery.stale_cleared"] == 1
        finally:
            forget_list(bridge, secured)
            other.publish(t.bridge_doors("bridge2"), b"", retain=True)
            for b in (other, watch):
                b.stop()
