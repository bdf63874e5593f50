"""A bridge flooding its zones' reports does not lose another bridge's intrusion alarm, on a real
Mosquitto with the shipped config.

The core reads alarm zones' reports on one thread, from a bounded queue (256). A zone's state is
retained and sent again only when it changes or the bridge reconnects, so a report dropped from
a full queue is a trip the officer never hears of. A bridge taken over could keep that queue
full with reports of its own zones; each bridge's reports now wait in a queue of their own, the
bridges served in turn, and the flood is shed at the flooding bridge.

Deterministic: the core's zone thread is held (a long write holds the store, as an import does)
while the bridge floods; the other bridge reports its trip only once the core has taken (or
shed) the whole flood, and the thread is let go only once it has taken (or dropped) that report.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from compound.protocol.messages import new_id
from compound.services.core import Core
from tests.compound.test_off_network_thread import WAIT_S, LongWrite
from tests.security.conftest import SecuredBroker, Seen

pytestmark = [pytest.mark.integration]

FLOOD, BATCH = 300, 100


def report(zone: str, trip: str | None = None) -> dict[str, object]:
    now = time.time()
    body: dict[str, object] = {"zone": zone, "kind": "intrusion", "state": "normal", "at": now}
    if trip is not None:
        body.update(state="alarm", trip={"id": trip, "at": now})
    return body


def test_a_bridge_flooding_zone_reports_does_not_lose_another_bridges_trip(
    secured: SecuredBroker, site: tuple[Core, Seen]
) -> None:
    core, seen = site
    t = secured.topics
    rc, out, err = secured.cli(
        "devices", "add", "bridge9", "--role", "bridge", "--door", "d9", "--json", "--by", "t"
    )
    assert rc == 0, err
    secured.passwords["bridge9"] = json.loads(out)["password"]
    flooder, other = secured.bus("bridge1"), secured.bus("bridge9")
    flooder.start(timeout=30)
    other.start(timeout=30)  # a user just added is let in once the broker reloaded
    shed_before, alarms_before = core.counters["zone.shed"], core.counters["zone.report.alarm"]
    # A handler added on the core's bus runs after the core's own for each message: once it
    # has run, the core has queued that report or dropped it.
    taken, arrived = threading.Event(), threading.Semaphore(0)
    core.bus.subscribe(t.zone_state("bridge9", "fence-z"), lambda _: taken.set())
    core.bus.subscribe(t.zone_state("bridge1", "z1"), lambda _: arrived.release())
    trip = new_id()
    try:
        with LongWrite(core.store):
            for _ in range(0, FLOOD, BATCH):
                for _ in range(BATCH):
                    flooder.publish(t.zone_state("bridge1", "z1"), report("z1", "t1"), qos=1)
                for _ in range(BATCH):
                    assert arrived.acquire(timeout=WAIT_S), "the flood did not reach the core"
            assert core.counters["zone.shed"] - shed_before >= FLOOD - 256 - 1
            other.publish(t.zone_state("bridge9", "fence-z"), report("fence-z", trip), qos=1)
            assert taken.wait(WAIT_S), "the other bridge's report never reached the core"
        logged = f'"trip_id":"{trip}"'.encode()
        assert seen.wait_for(
            lambda m: m.topic == t.events("zone.tripped") and logged in m.payload, timeout=WAIT_S
        ), "the other bridge's trip was never logged"
        # The flood's reports that were kept are all taken (and the core is done with them
        # before the store is closed): then a last report of the flooding bridge is logged.
        kept = FLOOD - (core.counters["zone.shed"] - shed_before)
        deadline = time.monotonic() + WAIT_S
        while core.counters["zone.report.alarm"] - alarms_before < kept + 1:
            assert time.monotonic() < deadline, "the flood's reports were not all taken"
            time.sleep(0.01)
        last = new_id()
        flooder.publish(t.zone_state("bridge1", "z1"), report("z1", last), qos=1)
        tripped = f'"trip_id":"{last}"'.encode()
        assert seen.wait_for(
            lambda m: m.topic == t.events("zone.tripped") and tripped in m.payload, WAIT_S
        ), "the flooding bridge's last report was never logged"
    finally:
        core.bus.unsubscribe(t.zone_state("bridge9", "fence-z"))
        core.bus.unsubscribe(t.zone_state("bridge1", "z1"))
        flooder.stop()
        other.stop()
