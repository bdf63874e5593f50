"""A bridge that floods one of its doors' events is quarantined at the broker for that topic
alone: the core records it and raises an alarm at that door saying what flooded, and Mosquitto
(the shipped drop-in config) refuses the bridge's events at that door from then on, so the
flood no longer reaches the core's network thread. The bridge keeps everything else: its card
readers at both its doors, its other door's events, the flooded door's state.
``compound devices release`` gives the right back.

How "refused" is seen: fences. The broker drops a refused publish without a word, so the bridge
sends a marked event and then the door's state, which it may still write; one client's
publishes reach a subscriber in order, so once the fence is in, a marked event not seen before
it was dropped. At the core the fence is a card at the flooded door: once its result is out,
the core's network thread has handled everything the bridge sent before it.
"""

from __future__ import annotations

import json
import queue
import time

import pytest

from compound.adapters.mqtt import Bus
from compound.protocol.messages import AccessRequest, DoorEvent, encode, new_id
from compound.services.core import Core
from compound.services.quarantine import QuarantineWatch
from tests.security.conftest import SecuredBroker, Seen
from tests.security.test_flood_quarantine import WAIT, Arrivals, core

__all__ = ["core"]  # the fixture, shared with the access-request flood's test

pytestmark = pytest.mark.integration


def event(door: str) -> DoorEvent:
    return DoorEvent(door, "opened", time.time(), {}, new_id())


def refused(secured: SecuredBroker, bridge: Bus, arrivals: Arrivals) -> bool:
    """One marked event at d1 from the bridge and a fence: was the event dropped?"""
    marked = encode(event("d1"))
    bridge.publish(secured.topics.door_event("d1"), marked, qos=1)
    fence = json.dumps({"state": "locked", "fence": new_id()}).encode()
    bridge.publish(secured.topics.door_state("d1"), fence, qos=1)
    return marked not in arrivals.until(fence)


def card(
    secured: SecuredBroker, bridge: Bus, door: str, results: queue.Queue[dict[str, object]]
) -> object:
    """A card at ``door``'s reader, and whether it was granted (its result out: the core has
    handled all the bridge sent before it)."""
    swipe = AccessRequest(new_id(), door, "card", "10001", time.time(), "reader")
    bridge.publish(secured.topics.access_request(door), encode(swipe), qos=1)
    while (answer := results.get(timeout=WAIT))["request_id"] != swipe.id:
        pass
    return answer["granted"]


def logged(secured: SecuredBroker, bridge: Bus, acks: Seen, door: str) -> bool:
    """An event at ``door`` is logged: the core acknowledges it (sent again every 2 s until
    then, as the bridge does)."""
    ev = event(door)
    ack, mark = secured.topics.door_event(door) + "/ack", f'"{ev.id}"'.encode()
    for _ in range(int(WAIT / 2)):
        bridge.publish(secured.topics.door_event(door), encode(ev), qos=1)
        if acks.wait_for(lambda m: m.topic == ack and mark in m.payload, 2.0):
            return True
    return False


def test_a_bridge_flooding_a_doors_events_is_quarantined_for_that_topic(
    secured: SecuredBroker, core: Core
) -> None:
    t = secured.topics
    topic = t.door_event("d1")
    watch = secured.bus("watch")  # a second core-role user: it may read everything
    arrivals = Arrivals()
    watch.subscribe(topic, arrivals)
    watch.subscribe(t.door_state("d1"), arrivals)
    acks = Seen()
    watch.subscribe(t.all("door/+/event/ack"), acks)
    alarms: queue.Queue[dict[str, object]] = queue.Queue()
    watch.subscribe(t.events("alarm.raised"), lambda m: alarms.put(json.loads(m.payload)))
    results: queue.Queue[dict[str, object]] = queue.Queue()
    watch.subscribe(t.all("access/+/result"), lambda m: results.put(json.loads(m.payload)))
    watch.start(timeout=30)
    bridge = secured.bus("bridge1")  # the hostile one: it serves d1 and d2
    bridge.start(timeout=30)
    watch_ext = next(e for e in core.extensions if isinstance(e, QuarantineWatch))
    try:
        assert not refused(secured, bridge, arrivals), "before: its events get through"
        batches = 0
        while not any(door == "d1" for door, _ in watch_ext.quarantined):
            for _ in range(500):
                bridge.publish(topic, encode(event("d1")), qos=0)
            batches += 1
            assert batches < 400, "no quarantine after 200,000 events"
        while (alarm := alarms.get(timeout=WAIT))["data"]["kind"] != "quarantine":  # type: ignore[index]
            pass
        assert alarm["door_id"] == "d1"
        assert alarm["data"]["devices"] == ["bridge1"]  # type: ignore[index]
        assert "door events a second at d1" in alarm["data"]["message"]  # type: ignore[index]
        record = core.store.events(types=["device.quarantined"])[-1].data
        assert (record["devices"], record["door"], record["topic"]) == (["bridge1"], "d1", topic)

        while not refused(secured, bridge, arrivals):
            pass  # until Mosquitto has reread the files
        # The flood no longer reaches the core: its count of the topic stands still across a
        # flood, up to a card the bridge swipes after it, which is granted.
        assert card(secured, bridge, "d1", results) is True
        before = core.arrivals.seen[topic]
        for _ in range(2000):
            bridge.publish(topic, encode(event("d1")), qos=0)
        assert card(secured, bridge, "d1", results) is True
        assert core.arrivals.seen[topic] == before
        # The bridge's other door: its card and its events.
        assert card(secured, bridge, "d2", results) is True
        assert logged(secured, bridge, acks, "d2")
        rc, out, err = secured.cli("devices", "list", "--json")
        assert rc == 0, err
        held = {d["name"]: d["quarantined_at"] for d in json.loads(out)}
        assert held["bridge1"] == [topic] and held["panel1"] == []

        rc, out, err = secured.cli("devices", "release", "bridge1", "--by", "officer 1024")
        assert rc == 0, err
        while refused(secured, bridge, arrivals):
            pass  # until Mosquitto has reread the files
        assert logged(secured, bridge, acks, "d1"), "after release: its events are logged again"
    finally:
        for b in (bridge, watch):
            b.stop()


def test_a_bridge_flooding_zone_reports_under_ever_new_names_is_quarantined_for_them(
    secured: SecuredBroker, core: Core
) -> None:
    """A bridge may name its zones, so its reports are counted per bridge, not per topic: a
    flood over new zone names is seen, and the broker refuses the bridge's zone reports (its
    write rule for them goes whole) while its door states still flow."""
    t = secured.topics
    watch = secured.bus("watch")
    arrivals = Arrivals()
    watch.subscribe(t.zone_state("bridge1", "+"), arrivals)
    watch.subscribe(t.door_state("d1"), arrivals)
    watch.start(timeout=30)
    bridge = secured.bus("bridge1")
    bridge.start(timeout=30)
    watch_ext = next(e for e in core.extensions if isinstance(e, QuarantineWatch))

    def report(zone: str) -> bytes:
        return json.dumps({"zone": zone, "state": "normal", "kind": "intrusion"}).encode()

    def refused() -> bool:
        marked = report(f"z-{new_id()}")
        bridge.publish(t.zone_state("bridge1", "z-probe"), marked, qos=1)
        fence = json.dumps({"state": "locked", "fence": new_id()}).encode()
        bridge.publish(t.door_state("d1"), fence, qos=1)
        return marked not in arrivals.until(fence)

    try:
        assert not refused(), "before: its zone reports get through"
        n = 0
        while not any(door == "" for door, _ in watch_ext.quarantined):
            for _ in range(500):
                n += 1
                bridge.publish(t.zone_state("bridge1", f"z{n}"), report(f"z{n}"), qos=0)
            assert n < 200_000, "no quarantine after 200,000 zone reports"
        record = core.store.events(types=["device.quarantined"])[-1].data
        assert record["devices"] == ["bridge1"]
        assert record["topic"] == t.zone_state("bridge1", "+")
        assert "zone reports a second from bridge1" in record["reason"]
        while not refused():
            pass  # until Mosquitto has reread the files
        rc, out, err = secured.cli("devices", "release", "bridge1", "--by", "test")
        assert rc == 0, err
        while refused():
            pass
    finally:
        for b in (bridge, watch):
            b.stop()
