"""A device that floods its door's request topic is shed at its own door: the other doors'
swipes are still answered, every one of them, and the officer gets a flood alarm.

Real Mosquitto, the real core; the flood is as fast as one client can publish."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable

import pytest

from compound.adapters.mqtt import Bus, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import Topics
from compound.store.db import Store

pytestmark = pytest.mark.integration


def test_a_flooding_door_does_not_cost_another_door_a_swipe(
    live_store: Store, topics: Topics, mosquitto: object, make_bus: Callable[..., Bus]
) -> None:
    port = mosquitto.port  # type: ignore[attr-defined]
    s = live_store
    s.add_unit("3-2-1501")
    s.add_door("b3-e2", "Building 3 entrance 2", ["3-2"])
    s.add_door("b1-e1", "Building 1 entrance 1", ["1-1"])
    s.add_card(s.add_person("张伟", "3-2-1501", "owner"), "10001")
    core_bus = make_bus(port, "core", start=False)
    core = build_core(s, core_bus, s.clock, Config())
    core.start()
    core_bus.start()
    try:
        flooder = make_bus(port, "flooder")
        reader = make_bus(port, "reader-b3", start=False)
        answers: queue.Queue[dict[str, object]] = queue.Queue()
        reader.subscribe(
            topics.access_result("b3-e2"), lambda m: answers.put(json.loads(m.payload))
        )
        alarms: queue.Queue[Message] = queue.Queue()
        reader.subscribe(topics.events("alarm.raised"), alarms.put)
        reader.start()

        swipes = []
        for _round in range(5):
            for _ in range(1000):
                junk = AccessRequest(new_id(), "b1-e1", "card", "99999", time.time(), "flood")
                flooder.publish(topics.access_request("b1-e1"), encode(junk), qos=0)
            swipe = AccessRequest(new_id(), "b3-e2", "card", "10001", time.time(), "reader")
            reader.publish(topics.access_request("b3-e2"), encode(swipe))
            swipes.append(swipe.id)
        answered = {}
        while len(answered) < len(swipes):
            a = answers.get(timeout=30)
            answered[a["request_id"]] = a["granted"]
        assert answered == {i: True for i in swipes}, "every swipe at the other door is answered"

        # The junk that got in also raises the failed-attempts alarm: wait for the flood one.
        while (alarm := json.loads(alarms.get(timeout=30).payload))["data"]["kind"] != "flood":
            pass
        assert alarm["door_id"] == "b1-e1"
        shed = core.decisions.shed
        # Shed at the flooding door only (the broker may drop some of the junk itself when the
        # core's queue there is full, so how many the core shed varies).
        assert set(shed) == {"b1-e1"} and shed["b1-e1"] > 0
    finally:
        core.stop()
