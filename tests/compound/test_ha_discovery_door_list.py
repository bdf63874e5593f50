"""A bridge's own list of the doors it is wired for, read no further than its registration.

The rule (``served_doors``): a door is served by a bridge when it is both registered to it and
on its list; a bridge without a list keeps its registration. The decoder refuses anything but a
bounded JSON list of door ids. The cleanup, with fakes for the bus and the registry, clears the
configs of a registered door its bridge's list dropped, ignores (and counts) a list it cannot
read, and keeps no list of a name that is not a bridge. On a real Mosquitto:
``tests/security/test_ha_discovery_wiring.py``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

import pytest

from compound.ports import Message
from compound.protocol.door_list import (
    MAX_BYTES,
    MAX_DOORS,
    decode_door_list,
    encode_door_list,
    served_doors,
)
from compound.protocol.topics import Topics, ha_door_discovery_topics
from compound.services.core import Core
from compound.services.ha_discovery_cleanup import StaleDiscoveryCleanup
from compound.services.topic_counts import TopicCounts

TOPICS = Topics("xian")


def test_a_door_is_served_only_when_registered_and_on_the_bridges_own_list() -> None:
    registered = {"b1": ["d1", "d2"], "b2": ["d3"]}
    assert served_doors(registered, {}) == {"d1", "d2", "d3"}  # no list: the registration
    assert served_doors(registered, {"b1": frozenset({"d1"})}) == {"d1", "d3"}
    # A list adds nothing the registration does not give, its own or another bridge's.
    assert served_doors(registered, {"b1": frozenset({"d1", "d3", "d9"}), "b2": frozenset()}) == {
        "d1"
    }
    # A door registered to two bridges stays served while one of them still has it.
    both = {"b1": ["d1"], "b2": ["d1"]}
    assert served_doors(both, {"b1": frozenset()}) == {"d1"}
    # The list of a bridge not registered (revoked) counts for nothing.
    assert served_doors({"b1": ["d1"]}, {"b9": frozenset({"d1"})}) == {"d1"}


def test_the_list_round_trips_and_anything_else_is_refused() -> None:
    assert encode_door_list(["d2", "d1", "d1"]) == b'["d1","d2"]'
    assert decode_door_list(b'["d1","d2"]') == {"d1", "d2"}
    assert decode_door_list(b"[]") == frozenset()
    ids = [f"door-{i:059d}" for i in range(MAX_DOORS)]  # the longest ids there may be
    assert len(encode_door_list(ids)) <= MAX_BYTES
    assert decode_door_list(encode_door_list(ids)) == set(ids)
    with pytest.raises(ValueError, match="at most"):
        encode_door_list([f"d{i}" for i in range(MAX_DOORS + 1)])
    with pytest.raises(ValueError, match="door id"):
        encode_door_list(["d1/#"])
    bad = [
        b"d1",  # not JSON
        b"\xff\xfe",  # not UTF-8
        b'{"d1": true}',  # not a list
        b'"d1"',
        b"[1]",
        b'["d1", null]',
        b'["d1/+"]',  # not a topic segment
        b'[""]',
        b"[" * 10_000 + b"]" * 10_000,  # nested too deep for the parser
        b"[" + b",".join(b'"d%d"' % i for i in range(MAX_DOORS + 1)) + b"]",
        b'["d1"' + b" " * MAX_BYTES + b"]",  # too long to look at
    ]
    for payload in bad:
        with pytest.raises(ValueError):
            decode_door_list(payload)


class FakeBus:
    def __init__(self) -> None:
        self.cleared: list[str] = []

    def subscribe(self, topic_filter: str, handler: Any, qos: int = 1) -> None:
        pass

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        assert payload == b"" and retain
        self.cleared.append(topic)


class Registry:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return self.rows


class FakeCore:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.bus, self.store, self.topics = FakeBus(), Registry(rows), TOPICS
        self.counters: Counter[str] = Counter()
        self.arrivals = TopicCounts()


def configs(door: str) -> set[str]:
    return set(ha_door_discovery_topics(TOPICS.site, door).values())


def cleanup_with_configs(*doors: str) -> tuple[StaleDiscoveryCleanup, FakeCore]:
    """b1 registered for d1 and d2, b2 (revoked) for d3; the configs of ``doors`` retained.
    Not started: each recheck is called here, on the test's thread."""
    core = FakeCore(
        [
            {"name": "b1", "doors": '["d1", "d2"]', "revoked_at": None},
            {"name": "b2", "doors": '["d3"]', "revoked_at": 1.0},
        ]
    )
    ext = StaleDiscoveryCleanup(cast(Core, core))
    ext.recheck()
    for door in doors:
        for topic in configs(door):
            ext.on_config(Message(topic, b"{}", retain=True))
    ext.recheck()
    assert core.bus.cleared == []
    return ext, core


def say(ext: StaleDiscoveryCleanup, bridge: str, payload: bytes) -> None:
    ext.on_door_list(Message(TOPICS.bridge_doors(bridge), payload, retain=True))
    ext.recheck()


def test_a_registered_door_off_its_bridges_list_loses_its_configs() -> None:
    ext, core = cleanup_with_configs("d1", "d2")
    say(ext, "b1", b'["d1"]')
    assert set(core.bus.cleared) == configs("d2")
    assert core.counters["ha_discovery.stale_cleared"] == len(configs("d2"))


def test_a_list_that_cannot_be_read_is_ignored_and_counted() -> None:
    ext, core = cleanup_with_configs("d1", "d2")
    say(ext, "b1", b'["d1", "d2/#"]')
    say(ext, "b1", b"not json")
    assert core.bus.cleared == []  # the registration still counts
    assert core.counters["ha_discovery.door_list_malformed"] == 2
    say(ext, "b1", b'["d1"]')
    say(ext, "b1", b"[" * 5000)  # the list before it stands
    assert set(core.bus.cleared) == configs("d2")
    assert core.counters["ha_discovery.door_list_malformed"] == 3


def test_a_cleared_list_gives_the_registration_back() -> None:
    ext, core = cleanup_with_configs("d1", "d2")
    say(ext, "b1", b"[]")
    assert set(core.bus.cleared) == configs("d1") | configs("d2")
    say(ext, "b1", b"")  # older firmware again: the registration counts
    for topic in configs("d1"):
        ext.on_config(Message(topic, b"{}", retain=True))
    ext.recheck()
    assert set(core.bus.cleared) == configs("d1") | configs("d2")  # nothing more


def test_only_a_registered_bridge_has_a_list() -> None:
    """A list under a name that is no bridge's is not kept; one from a revoked bridge does not
    count. On the shipped broker nobody but the bridge may write its list at all."""
    ext, core = cleanup_with_configs("d1", "d2")
    say(ext, "panel1", b"[]")
    say(ext, "b2", b"[]")
    assert core.bus.cleared == []
    assert "panel1" not in ext._lists
