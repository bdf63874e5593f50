"""A bridge emptying its journal after a long core outage is not taken for a flood.

The core takes so many events a second from a door (``compound.domain.door_event_limit``) and
raises an ``event_flood`` alarm past that. An honest bridge sends a door's events one at a time,
each as soon as the previous one is acknowledged, so a backlog of a long outage would go out at
the speed of a round trip, past the core's limit; it paces each door under that limit instead.
On a real Mosquitto, the real bridge and core: every event of the backlog is logged, once, in
order, and no flood alarm is raised.
"""

from __future__ import annotations

import time

import pytest

from compound.domain.door_event_limit import ADAPTER_RULES, EventRules
from compound.protocol.messages import DoorEvent, new_id
from tests.firmware_bridge.conftest import Rig, wait_for
from tests.firmware_bridge.test_event_delivery import kill_core, last_seq, logged, start_core

pytestmark = pytest.mark.integration

BACKLOG = EventRules().burst + 40  # past the core's burst: about 13 s at the bridge's pace


def test_a_backlog_past_the_cores_burst_is_logged_whole_without_a_flood_alarm(rig: Rig) -> None:
    wait_for(lambda: rig.bridge.delivery.owed() == 0, what="start-up events delivered")
    since = last_seq(rig)
    kill_core(rig)
    # What a long outage leaves in the journal of a busy door (as the door's machine makes
    # them: Publisher.event hands each to the delivery).
    ids = [str(new_id()) for _ in range(BACKLOG)]
    for i, eid in enumerate(ids):
        kind = "opened" if i % 2 == 0 else "closed"
        rig.bridge.delivery.add(DoorEvent("d1", kind, time.time(), {}, eid))
    wait_for(lambda: rig.bridge.delivery.owed() >= BACKLOG, what="the backlog journaled")
    start = time.monotonic()
    start_core(rig)
    # Each is acknowledged only once logged, so an empty delivery means all were logged.
    wait_for(lambda: rig.bridge.delivery.owed() == 0, timeout=120, what="the backlog delivered")
    took = time.monotonic() - start
    assert [eid for _, eid in logged(rig, "d1", since)] == ids, "each once, in order"
    floods = rig.store.query("SELECT door_id FROM alarms WHERE kind = 'event_flood'")
    assert floods == [], "an honest bridge's backlog was taken for a flood"
    assert rig.core.counters["door_event.shed.rate"] == 0
    # Paced, not faster than its bucket allows (a token may come back during the start).
    least = (BACKLOG - ADAPTER_RULES.burst) / ADAPTER_RULES.rate_per_s
    print(f"\nbacklog of {BACKLOG}: delivered in {took:.1f} s (at least {least:.1f} s paced)")
