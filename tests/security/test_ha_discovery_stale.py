"""A door taken off its bridge leaves no Home Assistant entity behind, on a real Mosquitto with
the shipped config: the bridge's retained discovery configs of that door are cleared once the
change is applied (the bridge's credential revoked and issued again without the door, the
bridge back with its new doors), while the doors it keeps keep theirs. The bridge itself may
not write a door's configs once the door is not its own (tests/security/test_ha_discovery_acl.py),
so the core clears them (``compound.services.ha_discovery_cleanup``).

Judged by what Home Assistant would read: the ``ha`` user's view of ``homeassistant/#``. What
is retained is read by a client subscribing afresh, behind a fence on its own availability
topic: the broker sends the retained messages of a subscription before anything published after
it, so once the fence is in, every retained config has been seen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from compound.adapters.mqtt import Bus
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import ha_door_discovery_topics
from firmware_bridge.discovery import discovery_messages
from tests.security.conftest import SITE, SecuredBroker, Seen, devices_store, running_core
from tests.security.test_device_revoked import revoke_as_box

pytestmark = [pytest.mark.integration]

D1, D2 = (set(ha_door_discovery_topics(SITE, d).values()) for d in ("d1", "d2"))
WAIT_S = 30.0


def publish_discovery(bus: Bus, secured: SecuredBroker, doors: list[str]) -> None:
    """What the bridge publishes on every connect: its doors' configs, retained."""
    for topic, payload in discovery_messages(secured.topics, bus.client_id, doors, "ha1"):
        bus.publish(topic, json.dumps(payload).encode(), qos=1, retain=True)


def last(seen: Seen, topic: str) -> bytes | None:
    payloads = [m.payload for m in seen.since(0) if m.topic == topic]
    return payloads[-1] if payloads else None


def retained(secured: SecuredBroker) -> dict[str, bytes]:
    """The discovery configs a Home Assistant starting now would read."""
    name = f"ha1-{new_id()[:8]}"
    bus = secured.bus("ha1", client_id=name)
    seen = Seen()
    bus.subscribe("homeassistant/#", seen)
    bus.subscribe(secured.topics.availability("ha1"), seen)
    bus.start(timeout=10)  # returns once the subscriptions are acknowledged
    try:
        fence = f"fence-{new_id()}".encode()
        bus.publish(secured.topics.availability("ha1"), fence, qos=1)
        assert seen.wait_for(lambda m: m.payload == fence, WAIT_S), "the fence never came"
        return {m.topic: m.payload for m in seen.since(0) if m.topic.startswith("homeassistant/")}
    finally:
        bus.stop()


@pytest.fixture
def ha_view(secured: SecuredBroker) -> Iterator[Seen]:
    bus = secured.bus("ha1", client_id=f"ha1-watch-{new_id()[:8]}")
    seen = Seen()
    bus.subscribe("homeassistant/#", seen)
    bus.start(timeout=10)
    yield seen
    bus.stop()


def reissue_bridge(secured: SecuredBroker, doors: list[str]) -> None:
    """`compound devices revoke` and `add` again with the doors it has now, as an installer
    moves a door: the broker's ACL and passwords are rewritten and reloaded each time."""
    revoke_as_box(secured, "bridge1")
    door_args = [a for d in doors for a in ("--door", d)]
    rc, out, err = secured.cli(
        "devices", "add", "bridge1", "--role", "bridge", *door_args, "--json", "--by", "t"
    )
    assert rc == 0, err
    secured.passwords["bridge1"] = json.loads(out)["password"]


def test_a_door_moved_off_its_bridge_loses_its_discovery_config(
    secured: SecuredBroker, ha_view: Seen
) -> None:
    old = secured.bus("bridge1")
    old.start(timeout=10)
    publish_discovery(old, secured, ["d1", "d2"])
    assert ha_view.wait_for(lambda _: all(last(ha_view, t) for t in D1 | D2), WAIT_S)
    old.stop()
    bridge: Bus | None = None
    try:
        with running_core(secured, devices_store(secured)) as core:
            reissue_bridge(secured, ["d1"])  # d2 goes to a relay node: no bridge serves it
            # d1's may be cleared too, if a recheck reads the registry between the revoke and
            # the add (nothing serves it then); the bridge publishes them again when it is back.
            assert ha_view.wait_for(lambda _: not any(last(ha_view, t) for t in D2), WAIT_S), (
                "a door no bridge serves kept its Home Assistant configs"
            )
            bridge = secured.bus("bridge1")  # its new password
            bridge.start(timeout=10)  # says "online": the core looks at the door map again
            publish_discovery(bridge, secured, ["d1"])
            assert ha_view.wait_for(lambda _: all(last(ha_view, t) for t in D1), WAIT_S)
            # Home Assistant starting now finds d1 and nothing of d2.
            now = retained(secured)
            assert set(now) >= D1 and not set(now) & D2, sorted(now)
            assert core.counters["ha_discovery.stale_cleared"] >= len(D2)
    finally:
        if bridge is not None:
            bridge.stop()


def test_configs_left_while_the_core_was_down_are_cleared_when_it_starts(
    secured: SecuredBroker, ha_view: Seen
) -> None:
    """The door map changed with no core running: its start finds the retained configs of a
    door no bridge serves, and clears them; those of a door a bridge serves it leaves alone."""
    reissue_bridge(secured, ["d1", "d2"])
    bridge = secured.bus("bridge1")
    bridge.start(timeout=10)
    publish_discovery(bridge, secured, ["d1", "d2"])
    assert ha_view.wait_for(lambda _: all(last(ha_view, t) for t in D1 | D2), WAIT_S)
    bridge.stop()
    reissue_bridge(secured, ["d1"])  # no core is there to see it
    with running_core(secured, devices_store(secured)):
        assert ha_view.wait_for(lambda _: not any(last(ha_view, t) for t in D2), WAIT_S)
        now = retained(secured)
        assert set(now) >= D1 and not set(now) & D2, sorted(now)


def test_a_burst_of_availability_messages_is_one_recheck_and_swipes_are_still_decided(
    secured: SecuredBroker, ha_view: Seen
) -> None:
    """A device flapping its availability as fast as it can (its own topic, which the broker
    lets it write) gets the door map looked at again off the network thread, not once per
    message: the stale door's configs are cleared, and a swipe sent behind the burst is
    decided."""
    reissue_bridge(secured, ["d1", "d2"])
    bridge = secured.bus("bridge1")
    bridge.start(timeout=10)
    publish_discovery(bridge, secured, ["d1", "d2"])
    assert ha_view.wait_for(lambda _: all(last(ha_view, t) for t in D1 | D2), WAIT_S)
    store = devices_store(secured)
    if store.door("d1") is None:
        store.add_unit("3-2-1501")
        store.add_door("d1", "Building 3 entrance 2", ["3-2"])
        store.add_card(store.add_person("张伟", "3-2-1501", "owner"), "10001")
    flapper, watch = secured.bus("panel1"), secured.bus("watch")
    results = Seen()
    watch.subscribe(secured.topics.access_result("d1"), results)
    try:
        with running_core(secured, store) as core:
            # The registry changes and nothing tells the core yet (as when a bridge's new
            # registration is written while it is away): d2 is no longer the bridge's.
            with store.transaction() as c:
                c.execute("UPDATE devices SET doors = ? WHERE name = 'bridge1'", ('["d1"]',))
            flapper.start(timeout=10)
            watch.start(timeout=10)
            availability = secured.topics.availability("panel1")
            for i in range(2000):
                flapper.publish(availability, b"offline" if i % 2 else b"online", qos=0)
            swipe = AccessRequest(new_id(), "d1", "card", "10001", time.time(), "reader")
            bridge.publish(secured.topics.access_request("d1"), encode(swipe))
            assert results.wait_for(
                lambda m: json.loads(m.payload).get("request_id") == swipe.id, WAIT_S
            ), "the swipe behind the burst was never decided"
            assert ha_view.wait_for(lambda _: not any(last(ha_view, t) for t in D2), WAIT_S), (
                "the burst never got the stale door's configs cleared"
            )
            assert all(last(ha_view, t) for t in D1)  # the door the bridge keeps keeps its own
            assert core.counters["ha_discovery.stale_cleared"] >= len(D2)
    finally:
        for b in (flapper, watch, bridge):
            b.stop()
