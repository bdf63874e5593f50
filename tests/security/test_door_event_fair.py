"""A bridge flooding its doors' events does not delay another door's alarms, on a real Mosquitto
with the shipped config.

The core logs door events on one thread, from a bounded queue (2000). A bridge taken over could
fill it with events of its own doors, and every other door's events were dropped while the
flood lasted: a forced door elsewhere was logged only when its bridge sent it again after the
flood, however long that lasted. Each door's events now wait in a queue of their own, the doors
served in turn: the flood is shed at the flooding door.

Deterministic: the core's door-event thread is held (a long write holds the store, as an import
does) while the bridge floods; the other door's event is sent only once the core has taken (or
shed) the whole flood, and the thread is let go only once it has taken (or dropped) that event.
"""

from __future__ import annotations

import threading
import time

import pytest

from compound.protocol.messages import DoorEvent, encode, new_id
from compound.services.core import Core
from tests.compound.test_off_network_thread import WAIT_S, LongWrite
from tests.security.conftest import SecuredBroker, Seen

pytestmark = [pytest.mark.integration]

FLOOD, BATCH = 2100, 300


def test_a_bridge_flooding_door_events_does_not_keep_another_doors_alarm_out_of_the_log(
    secured: SecuredBroker, site: tuple[Core, Seen]
) -> None:
    core, seen = site
    t = secured.topics
    if core.store.door("d3") is None:
        core.store.add_door("d3", "Bike shed", ["3"])
    bridge, relay = secured.bus("bridge1"), secured.bus("relay3")
    bridge.start(timeout=10)
    relay.start(timeout=10)
    shed_before = core.counters["door_event.shed"]
    # A handler added on the core's bus runs after the core's own for each message: once it
    # has run, the core has queued that event or dropped it.
    taken = threading.Event()
    core.bus.subscribe(t.door_event("d3"), lambda _: taken.set())
    arrived = threading.Semaphore(0)
    core.bus.subscribe(t.door_event("d1"), lambda _: arrived.release())
    forced = DoorEvent("d3", "forced_open", time.time(), {}, new_id())
    try:
        with LongWrite(core.store):
            # In batches the broker holds for the core (max_queued_messages 1000), each one
            # taken by the core's bus before the next is sent.
            for _ in range(0, FLOOD, BATCH):
                for _ in range(BATCH):
                    flood = DoorEvent("d1", "opened", time.time(), {}, new_id())
                    bridge.publish(t.door_event("d1"), encode(flood), qos=1)
                for _ in range(BATCH):
                    assert arrived.acquire(timeout=WAIT_S), "the flood did not reach the core"
            assert core.counters["door_event.shed"] - shed_before >= FLOOD - 2000 - 1
            relay.publish(t.door_event("d3"), encode(forced), qos=1)
            assert taken.wait(WAIT_S), "the relay's event never reached the core"
        # Logged (the core acknowledges an event once its log committed) without being sent again.
        logged = f'"id":"{forced.id}"'.encode()
        ack = t.door_event("d3") + "/ack"
        assert seen.wait_for(lambda m: m.topic == ack and logged in m.payload, timeout=WAIT_S)
        # Every event of the flood that was not shed is logged too (and the core is done with
        # them before the store is closed).
        kept = FLOOD - (core.counters["door_event.shed"] - shed_before)
        flood_acks = t.door_event("d1") + "/ack"
        assert seen.wait_for(
            lambda _: sum(m.topic == flood_acks for m in seen.messages) >= kept, WAIT_S
        ), "the flood's events that were kept were not all logged"
    finally:
        core.bus.unsubscribe(t.door_event("d3"))
        core.bus.unsubscribe(t.door_event("d1"))
        bridge.stop()
        relay.stop()
