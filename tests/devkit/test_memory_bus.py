"""The in-memory bus: MQTT wildcard routing, retained messages, and request/response through the
same answering code as the real bus, delivered before ``publish`` returns."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest

from compound.adapters.bus_types import topic_matches
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.ports import ACTOR, ApiError, BusError, Message
from compound.protocol.messages import AccessRequest, DoorCommand, encode, new_id
from compound.protocol.topics import Topics
from compound.store.db import Store
from devkit.memory_bus import MemoryBroker, MemoryBus


@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker()


def received(bus: MemoryBus, topic_filter: str) -> list[Message]:
    got: list[Message] = []
    bus.subscribe(topic_filter, got.append)
    return got


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        ("a/b/c", "a/b/c", True),
        ("a/b/c", "a/b", False),
        ("a/+/c", "a/b/c", True),
        ("a/+/c", "a/b/x", False),
        ("a/+", "a/b/c", False),
        ("+/+", "a/b", True),
        ("a/+/+", "a/b", False),
        ("a/#", "a/b/c", True),
        ("a/#", "a", True),  # '#' also matches the parent level
        ("a/#", "ab/c", False),
        ("#", "a/b/c", True),
        ("a/+/#", "a/b", True),
        ("+/b", "/b", True),  # an empty first level is a level
        ("#", "$SYS/broker/load", False),  # wildcards at the top never match '$' topics
        ("+/broker/load", "$SYS/broker/load", False),
        ("$SYS/#", "$SYS/broker/load", True),
    ],
)
def test_topic_matching_follows_mqtt(topic_filter: str, topic: str, matches: bool) -> None:
    assert topic_matches(topic_filter, topic) is matches


def test_wildcard_subscriptions_get_what_they_match_at_once(
    broker: MemoryBroker, topics: Topics
) -> None:
    door = broker.client(topics, "door")
    watcher = broker.client(topics, "watcher")
    any_cmd = received(watcher, topics.all("door/+/cmd"))
    everything_at_door = received(watcher, topics.all("door/b3-e2/#"))
    results = received(watcher, topics.all("access/+/result"))

    door.publish(topics.door_cmd("b3-e2"), {"action": "unlock"})
    door.publish(topics.door_cmd("b1-e1"), b"lock")
    door.publish(topics.door_state("b3-e2"), "locked")

    # Delivered before publish returned: nothing to wait for.
    assert [m.topic for m in any_cmd] == [topics.door_cmd("b3-e2"), topics.door_cmd("b1-e1")]
    assert json.loads(any_cmd[0].payload) == {"action": "unlock"}
    assert [m.topic for m in everything_at_door] == [
        topics.door_cmd("b3-e2"),
        topics.door_state("b3-e2"),
    ]
    assert results == []


def test_retained_messages_reach_later_subscribers_and_can_be_cleared(
    broker: MemoryBroker, topics: Topics
) -> None:
    core = broker.client(topics, "core")
    core.publish(topics.site_lockdown, {"on": True}, retain=True)
    late = broker.client(topics, "late")
    got = received(late, topics.site_lockdown)
    assert len(got) == 1 and got[0].retain and json.loads(got[0].payload) == {"on": True}

    core.publish(topics.site_lockdown, b"", retain=True)
    assert received(broker.client(topics, "later"), topics.site_lockdown) == []
    # Availability, as the real bus leaves it: online while started, offline once stopped.
    core.stop()
    assert broker.retained[topics.availability("core")].payload == b"offline"
    assert broker.retained[topics.availability("late")].payload == b"online"


def test_unsubscribe_and_stop_end_delivery(broker: MemoryBroker, topics: Topics) -> None:
    door = broker.client(topics, "door")
    ui = broker.client(topics, "ui")
    got = received(ui, topics.all("events/#"))
    door.publish(topics.events("a"), b"1")
    ui.unsubscribe(topics.all("events/#"))
    door.publish(topics.events("a"), b"2")
    assert [m.payload for m in got] == [b"1"]

    again = received(ui, topics.all("events/#"))
    ui.stop()
    door.publish(topics.events("a"), b"3")
    ui.start()  # subscriptions are made again on (re)connect, as on the real bus
    door.publish(topics.events("a"), b"4")
    assert [m.payload for m in again] == [b"4"] and ui.connects == 2


def test_a_failing_handler_costs_only_its_own_message(broker: MemoryBroker, topics: Topics) -> None:
    door = broker.client(topics, "door")
    ui = broker.client(topics, "ui")

    def broken(msg: Message) -> None:
        raise RuntimeError("bug in a handler")

    ui.subscribe(topics.all("events/#"), broken)
    got = received(ui, topics.all("events/#"))
    door.publish(topics.events("a"), b"1")
    door.publish(topics.events("b"), b"2")
    assert [m.payload for m in got] == [b"1", b"2"]
    assert [(t, str(e)) for t, e in broker.errors] == [
        (topics.events("a"), "bug in a handler"),
        (topics.events("b"), "bug in a handler"),
    ]


class Refused(ValueError):
    pass


def serve_sample(bus: MemoryBus) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def add(params: dict[str, Any]) -> Any:
        calls.append(params)
        return params["a"] + params["b"]

    def refuse(params: dict[str, Any]) -> Any:
        raise Refused("say why")

    def crash(params: dict[str, Any]) -> Any:
        raise KeyError("secret detail")

    bus.serve({"add": add, "refuse": refuse, "crash": crash}, refusals=(Refused,))
    return calls


def test_request_gets_the_answer_on_the_askers_reply_topic(
    broker: MemoryBroker, topics: Topics
) -> None:
    core = broker.client(topics, "core")
    calls = serve_sample(core)
    ui = broker.client(topics, "ui")
    spy = received(broker.client(topics, "spy"), topics.all("reply/#"))

    assert ui.request("add", {"a": 2, "b": 3}) == 5
    assert calls == [{"a": 2, "b": 3, ACTOR: "ui"}]  # the asker, from the request topic
    # The answer went only to the asker's own reply topic, with the request's correlation.
    assert [m.topic for m in spy] == [topics.reply("ui", "add")]
    assert spy[0].correlation and json.loads(spy[0].payload)["corr"] == spy[0].correlation.decode()


def test_refusals_unknown_methods_and_crashes_come_back_as_errors(
    broker: MemoryBroker, topics: Topics
) -> None:
    core = broker.client(topics, "core")
    serve_sample(core)
    ui = broker.client(topics, "ui")

    with pytest.raises(ApiError, match="^say why$"):
        ui.request("refuse")
    with pytest.raises(ApiError, match="internal error in crash") as crashed:
        ui.request("crash")
    assert "secret detail" not in str(crashed.value)  # the detail stays in the core's log
    with pytest.raises(BusError, match="no answer to 'nothing'"):  # nobody serves it
        ui.request("nothing")
    # A request whose params are not an object is refused, not carried out.
    reply_topic = topics.reply("ui", "add")
    got = received(ui, reply_topic)
    ui.publish(topics.api("ui", "add"), {"params": [1, 2], "reply_to": reply_topic, "corr": "c1"})
    assert json.loads(got[0].payload) == {"ok": False, "error": "params must be an object",
                                          "corr": "c1"}  # fmt: skip


def test_an_answer_goes_nowhere_but_under_the_askers_own_name(
    broker: MemoryBroker, topics: Topics
) -> None:
    """A request that names another reply topic (a door command, another client's replies) is
    not carried out, nothing is published there, and the refusal is counted; the asker is who
    the request topic names, whatever the parameters say."""
    core = broker.client(topics, "core")
    counters: Counter[str] = Counter()
    calls: list[dict[str, Any]] = []

    def who(params: dict[str, Any]) -> Any:
        calls.append(params)
        return params[ACTOR]

    core.serve({"who": who}, counters=counters)
    ui = broker.client(topics, "ui")
    for reply_to in (topics.door_cmd("d1"), topics.reply("other", "who"), topics.reply("ui", "")):
        before = len(broker.published)
        ui.publish(topics.api("ui", "who"), {"params": {}, "reply_to": reply_to, "corr": "c"})
        assert [m.topic for m in broker.published[before:]] == [topics.api("ui", "who")]
    assert calls == [] and counters["api.reply_refused"] == 3
    assert ui.request("who", {ACTOR: "officer"}) == "ui"


def test_a_hostile_reply_is_dropped_and_the_next_request_is_answered(
    broker: MemoryBroker, topics: Topics
) -> None:
    core = broker.client(topics, "core")
    serve_sample(core)
    ui = broker.client(topics, "ui")
    intruder = broker.client(topics, "intruder")
    for payload in (b"[" * 100_000, b"[" * 5_000, b'{"corr": 1' + b"1" * 5_000 + b"}"):
        intruder.publish(topics.reply("ui", "add"), payload)
        intruder.publish(topics.api("intruder", "add"), payload)
    assert broker.errors == []
    assert ui.request("add", {"a": 1, "b": 1}) == 2


def test_the_core_decides_a_card_on_the_memory_bus(store: Store, clock: ManualClock) -> None:
    """The point of it: a service runs in a unit test with no broker. The core decides on its
    decision thread, so the answer comes a moment after the request is published."""
    topics = Topics("unit")
    store.add_unit("3-2-1501")
    store.add_door("b3-e2", "Building 3 entrance 2", ["3-2"])
    store.add_card(store.add_person("张伟", "3-2-1501", "owner"), "10001")
    broker = MemoryBroker()
    core_bus = broker.client(topics, "core")
    core = build_core(store, core_bus, clock, Config())  # type: ignore[arg-type]
    core.start()
    door = broker.client(topics, "door-b3")
    cmds = received(door, topics.door_cmd("b3-e2"))
    results = received(door, topics.access_result("b3-e2"))

    req = AccessRequest(new_id(), "b3-e2", "card", "10001", clock.now(), "test")
    door.publish(topics.access_request("b3-e2"), encode(req))
    deadline = time.monotonic() + 10
    while not (results and cmds) and time.monotonic() < deadline:
        time.sleep(0.01)  # the result and the unlock command are two messages, either first

    assert DoorCommand.decode(cmds[0].payload).action == "unlock"
    assert json.loads(results[0].payload)["granted"] is True
    assert set(door.request("status")["doors"]) == {"b3-e2"}
    core.stop()
