"""A bridge flooding one of its doors with events fills neither the log nor the officer's alarm
queue: the core logs that door's events up to its limit (a burst, then a few a second), raises
one ``event_flood`` alarm for the flood, lets the flood's first forced-open and fire events
through, and logs every event of the bridge's other door. Real Mosquitto with the shipped ACL,
the real core, the bridge's own broker user.

Deterministic: the core's monotonic clock stands still (its wall clock runs), so no token
comes back during the test and exactly the door's burst is logged. The flood goes in batches
smaller than the core's queue of a door's events, and each batch is waited for until the core
has logged or dropped every event of it (its counters and the acknowledgements of logged
events say so), so no event is shed by the queue instead of by the limit. Absence is judged
behind a fence: a door's events are taken in order, so once a later event of that door is
acknowledged, an earlier one that was not never will be.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from compound.config import Config, SecurityConfig
from compound.domain.clock import SystemClock
from compound.domain.door_event_limit import EventRules
from compound.protocol.messages import DoorEvent, encode, new_id
from compound.services.core import Core
from compound.store.db import Store
from tests.security.conftest import SecuredBroker, Seen, running_core

pytestmark = [pytest.mark.integration]

FLOOD, BATCH = 3000, 25  # a door's queue in the core holds 32
WAIT_S = 30.0  # generous: the machine may be loaded; nothing here is a timing figure


def wait_until(cond: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.005)


class StillMonotonic(SystemClock):
    """Wall time runs; the interval clock the door limits refill by stands still."""

    def monotonic(self) -> float:
        return 1000.0


@pytest.fixture
def core(secured: SecuredBroker) -> Iterator[Core]:
    # The database where `compound devices add` registered bridge1 for d1 and d2, as on the box.
    store = Store(secured.db, StillMonotonic(), secured.dir / "keys")
    store.add_unit("3-2-1501")
    store.add_door("d1", "Building 3 entrance 2", ["3-2"])
    store.add_door("d2", "Building 3 entrance 1", ["3-2"])
    # The door's own limit is what is tested here: the broker's quarantine of the flooding
    # bridge (test_event_flood_quarantine.py) would stop the flood before the fence.
    with running_core(secured, store, Config(security=SecurityConfig(quarantine="off"))) as c:
        yield c


def test_a_bridge_flooding_one_door_is_held_to_a_doors_rate_and_reported_once(
    secured: SecuredBroker, core: Core
) -> None:
    t = secured.topics
    seen = Seen()
    watch = secured.bus("watch")
    watch.subscribe(t.all("door/+/event/ack"), seen)
    watch.start(timeout=10)
    bridge = secured.bus("bridge1")
    bridge.start(timeout=10)

    def acked(door: str, event_id: str) -> bool:
        ack = t.door_event(door) + "/ack"
        return any(m.topic == ack and event_id.encode() in m.payload for m in seen.since(0))

    def handled() -> int:
        c = core.counters
        return c["door_event.shed.rate"] + c["door_event.shed"] + len(seen.since(0))

    def send(door: str, type_: str) -> str:
        ev = DoorEvent(door, type_, time.time(), {}, new_id())
        bridge.publish(t.door_event(door), encode(ev), qos=1)
        return ev.id  # type: ignore[return-value]

    rules = EventRules()
    other: list[str] = []
    try:
        start = time.monotonic()
        sent = 0
        for batch in range(FLOOD // BATCH):
            for _ in range(BATCH):
                send("d1", "opened")
            sent += BATCH
            if batch % 10 == 0:  # the bridge's other door, now and then during the flood
                other.append(send("d2", "opened"))
                sent += 1
            wait_until(lambda n=sent: handled() >= n, f"the core took {sent} events")
        # The flood's first forced-open passes; a second one does not; its first fire does.
        # The fire event is the fence: acknowledged, so the second forced-open was taken.
        forced, forced_again, fire = (
            send("d1", "forced_open"),
            send("d1", "forced_open"),
            send("d1", "fire_release"),
        )
        assert seen.wait_for(lambda _: acked("d1", fire), WAIT_S), "the fire event was lost"
        elapsed = time.monotonic() - start

        assert acked("d1", forced), "the flood's first forced-open was lost"
        assert not acked("d1", forced_again), "a second forced-open in the flood got through"
        assert all(acked("d2", eid) for eid in other), "the other door's events were not logged"
        logged = core.store.query(
            "SELECT count(*) AS n FROM events WHERE door_id = 'd1' AND type = 'door.opened'"
        )[0]["n"]
        print(f"\nflood: {FLOOD} events to d1 in {elapsed:.1f} s; {logged} logged")
        assert logged == rules.burst, f"{logged} of the flood's {FLOOD} events logged"
        assert core.counters["door_event.shed.rate"] == FLOOD - rules.burst + 1  # 1: forced
        floods = core.store.query("SELECT door_id FROM alarms WHERE kind = 'event_flood'")
        assert [a["door_id"] for a in floods] == ["d1"], "one flood alarm, for d1"
        d2_logged = core.store.query(
            "SELECT count(*) AS n FROM events WHERE door_id = 'd2' AND type = 'door.opened'"
        )[0]["n"]
        assert d2_logged == len(other)
    finally:
        bridge.stop()
        watch.stop()
