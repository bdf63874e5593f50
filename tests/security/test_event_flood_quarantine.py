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


def paced(bridge: Bus, messages: list[tuple[str, bytes]]) -> None:
    """Publish ``messages`` (the last at QoS 1) and wait until the broker has acknowledged the
    last: it has taken them all, so a bound on how many were sent is a bound on how many the
    broker saw, however slowly the client's queue empties on a loaded machine."""
    for topic, payload in messages[:-1]:
        bridge.publish(topic, payload, qos=0)
    last = bridge.publish_tracked(*messages[-1], qos=1)
    end = time.monotonic() + WAIT  # an upper bound on waiting, not a deadline
    while not last.done():
        assert time.monotonic() < end, "the broker did not take the flood"
        time.sleep(0.005)


def drained(secured: SecuredBroker, bridge: Bus, arrivals: Arrivals) -> None:
    """Until the broker has taken all the bridge queued (a flood goes out of the client's
    queue at the socket's pace, behind the test's loop) and the watcher has had all that came
    of it: a fence from the bridge, seen. Before that, the watcher's queue at the broker may be
    full of flood, and a marked message dropped there would pass for refused."""
    fence = json.dumps({"state": "locked", "fence": new_id()}).encode()
    bridge.publish(secured.topics.door_state("d1"), fence, qos=1)
    arrivals.until(fence)


def settled(core: Core) -> None:
    """Two more looks of the quarantine watch: what reached the core before is counted, so a
    release after this is not undone by a flood that had already come (``card`` first: the
    core has then handled what the bridge sent before)."""
    watch_ext = next(e for e in core.extensions if isinstance(e, QuarantineWatch))
    with watch_ext.checks:
        seen = watch_ext.checked
        assert watch_ext.checks.wait_for(lambda: watch_ext.checked >= seen + 2, WAIT)


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
            paced(bridge, [(topic, encode(event("d1"))) for _ in range(500)])
            batches += 1
            assert batches < 400, "no quarantine after 200,000 events"
        while (alarm := alarms.get(timeout=WAIT))["data"]["kind"] != "quarantine":  # type: ignore[index]
            pass
        assert alarm["door_id"] == "d1"
        assert alarm["data"]["devices"] == ["bridge1"]  # type: ignore[index]
        assert "door events a second at d1" in alarm["data"]["message"]  # type: ignore[index]
        record = core.store.events(types=["device.quarantined"])[-1].data
        assert (record["devices"], record["door"], record["topic"]) == (["bridge1"], "d1", topic)

        drained(secured, bridge, arrivals)
        while not refused(secured, bridge, arrivals):
            pass  # until Mosquitto has reread the files
        # A flood now reaches no one: nothing of 2,000 events comes before a fence the bridge
        # sends after them; a card at the flooded door is granted.
        flood = [encode(event("d1")) for _ in range(2000)]
        for payload in flood:
            bridge.publish(topic, payload, qos=0)
        fence = json.dumps({"state": "locked", "fence": new_id()}).encode()
        bridge.publish(t.door_state("d1"), fence, qos=1)
        assert arrivals.until(fence) == [fence]
        assert card(secured, bridge, "d1", results) is True
        # The bridge's other door: its card and its events.
        assert card(secured, bridge, "d2", results) is True
        assert logged(secured, bridge, acks, "d2")
        rc, out, err = secured.cli("devices", "list", "--json")
        assert rc == 0, err
        held = {d["name"]: d["quarantined_at"] for d in json.loads(out)}
        assert held["bridge1"] == [topic] and held["panel1"] == []

        settled(core)
        rc, out, err = secured.cli("devices", "release", "bridge1", "--by", "officer 1024")
        assert rc == 0, err
        while refused(secured, bridge, arrivals):
            pass  # until Mosquitto has reread the files
        assert logged(secured, bridge, acks, "d1"), "after release: its events are logged again"
        assert len(watch_ext.quarantined) == 1, "quarantined again after the release"
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
            names = [f"z{n + i}" for i in range(500)]
            paced(bridge, [(t.zone_state("bridge1", z), report(z)) for z in names])
            n += 500
            assert n < 200_000, "no quarantine after 200,000 zone reports"
        record = core.store.events(types=["device.quarantined"])[-1].data
        assert record["devices"] == ["bridge1"]
        assert record["topic"] == t.zone_state("bridge1", "+")
        assert "zone reports a second from bridge1" in record["reason"]
        drained(secured, bridge, arrivals)
        while not refused():
            pass  # until Mosquitto has reread the files
        settled(core)
        rc, out, err = secured.cli("devices", "release", "bridge1", "--by", "test")
        assert rc == 0, err
        while refused():
            pass
    finally:
        for b in (bridge, watch):
            b.stop()
