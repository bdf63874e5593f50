"""The discovery cleanup looks at the door map again off the network thread, once for a burst.

Any device may write its own availability as often as it likes; each message used to cost a
read of the registry on the bus's network thread. Now a message only asks for a recheck, in a
queue of one: while one recheck runs, one more may wait (it will read the registry after every
message before it) and the rest are dropped and counted. With fakes for the bus and the store;
``tests/security/test_ha_discovery_stale.py`` has the same on a real Mosquitto.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any, cast

import pytest

from compound.ports import Handler, Message
from compound.protocol.topics import Topics, ha_door_discovery_topics
from compound.services.core import Core
from compound.services.ha_discovery_cleanup import StaleDiscoveryCleanup
from compound.services.topic_counts import TopicCounts

WAIT_S = 10.0
TOPICS = Topics("xian")
AVAILABILITY = TOPICS.all("device/+/availability")


class FakeBus:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.cleared: list[str] = []
        self.cond = threading.Condition()

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        self.handlers[topic_filter] = handler

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        assert payload == b"" and retain
        with self.cond:
            self.cleared.append(topic)
            self.cond.notify_all()


class HeldStore:
    """The registry: one bridge serving d1. While ``held``, a read waits for ``release``."""

    def __init__(self) -> None:
        self.reads = 0
        self.held = False
        self.inside, self.release = threading.Event(), threading.Event()
        self.cond = threading.Condition()

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.cond:
            self.reads += 1
            self.cond.notify_all()
        if self.held:
            self.inside.set()
            assert self.release.wait(WAIT_S), "the test never released the read"
        return [{"name": "bridge1", "doors": '["d1"]', "revoked_at": None}]

    def wait_reads(self, n: int) -> int:
        with self.cond:
            assert self.cond.wait_for(lambda: self.reads >= n, WAIT_S), f"{self.reads} reads"
            return self.reads


class FakeCore:
    def __init__(self) -> None:
        self.bus, self.store, self.topics = FakeBus(), HeldStore(), TOPICS
        self.counters: Counter[str] = Counter()
        self.arrivals = TopicCounts()


@pytest.fixture
def cleanup() -> Iterator[tuple[StaleDiscoveryCleanup, FakeCore]]:
    core = FakeCore()
    ext = StaleDiscoveryCleanup(cast(Core, core))
    ext.start()
    yield ext, core
    core.store.release.set()
    ext.stop()


def availability(i: int) -> Message:
    return Message(TOPICS.availability("flapper"), b"offline" if i % 2 else b"online")


def test_a_burst_while_a_recheck_runs_is_one_more_recheck(
    cleanup: tuple[StaleDiscoveryCleanup, FakeCore],
) -> None:
    _, core = cleanup
    store, on_availability = core.store, core.bus.handlers[AVAILABILITY]
    assert store.reads == 1  # at start, on the caller's thread
    store.held = True
    on_availability(availability(0))
    assert store.inside.wait(WAIT_S), "the first message never got a recheck"
    for i in range(1, 1000):
        on_availability(availability(i))  # returns at once: the recheck thread is held
    assert core.counters["ha_discovery.recheck_coalesced"] == 998  # one waits, the rest dropped
    store.held = False
    store.release.set()
    assert store.wait_reads(3) == 3  # the held one, then the one that waited
    on_availability(availability(1000))  # a fence: served after anything still queued
    assert store.wait_reads(4) == 4, "the burst cost more than one recheck after the first"


def test_a_config_of_a_door_no_bridge_serves_is_cleared_by_the_recheck(
    cleanup: tuple[StaleDiscoveryCleanup, FakeCore],
) -> None:
    _, core = cleanup
    bus = core.bus
    d1, d2 = (ha_door_discovery_topics("xian", d)["lock"] for d in ("d1", "d2"))
    bus.handlers["homeassistant/lock/+/config"](Message(d1, b"{}", retain=True))
    bus.handlers["homeassistant/lock/+/config"](Message(d2, b"{}", retain=True))
    with bus.cond:
        assert bus.cond.wait_for(lambda: d2 in bus.cleared, WAIT_S), "d2 was never cleared"
        assert bus.cleared == [d2]  # d1 (handled first, on the caller's thread) is served
    assert core.store.wait_reads(2) == 2  # the registry was read again before clearing
