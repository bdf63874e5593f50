"""No message can make the core deaf.

A device on a hallway wall that has been taken over can publish anything its broker user may
write, and on a broker without an ACL (the demo's) anything at all. Each message here once could,
or might, stop the network thread of the receiving bus: the process would stay up and look
healthy while no card swipe was answered again. After each one, on a real Mosquitto, a card
swipe must still be answered and an API request still served.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable, Iterator

import pytest

from compound.adapters.mqtt import Bus, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.protocol.messages import (
    MAX_DEPTH,
    MAX_PAYLOAD,
    AccessRequest,
    MessageError,
    decode_object,
    encode,
    new_id,
)
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.store.db import Store

pytestmark = pytest.mark.integration

DEEP_200K = b"[" * 200_000  # far past any stack, and past MAX_PAYLOAD
DEEP_SMALL = b"[" * 15_000  # within MAX_PAYLOAD: only the nesting limit refuses it
DEEP_OBJECTS = b'{"a":' * 2_000 + b"1" + b"}" * 2_000  # well-formed, still too deep
LONG_NUMBER = b'{"corr": ' + b"9" * 5_000 + b"}"  # too many digits for int()
HOSTILE = {
    "200k-nested": DEEP_200K,
    "small-nested": DEEP_SMALL,
    "nested-objects": DEEP_OBJECTS,
    "long-number": LONG_NUMBER,
}


@pytest.fixture
def core_and_door(
    live_store: Store, topics: Topics, mosquitto: object, make_bus: Callable[..., Bus]
) -> Iterator[tuple[Core, Bus]]:
    port = mosquitto.port  # type: ignore[attr-defined]
    live_store.add_unit("3-2-1501")
    live_store.add_door("b3-e2", "Building 3 entrance 2", ["3-2"])
    live_store.add_card(live_store.add_person("张伟", "3-2-1501", "owner"), "10001")
    core_bus = make_bus(port, "core", 5, start=False)
    core = build_core(live_store, core_bus, live_store.clock, Config())
    core.start()
    core_bus.start(timeout=10)
    door = make_bus(port, "door-b3", 5)
    yield core, door
    core.stop()


def swipe_is_answered(door: Bus, topics: Topics) -> None:
    """A card at the door gets its result from the core (waited for, not slept on)."""
    results: queue.Queue[Message] = queue.Queue()
    door.subscribe(topics.access_result("b3-e2"), results.put)
    req = AccessRequest(new_id(), "b3-e2", "card", "10001", time.time(), "test")
    door.publish(topics.access_request("b3-e2"), encode(req))
    deadline = time.monotonic() + 5.0
    while True:
        left = deadline - time.monotonic()
        try:
            body = json.loads(results.get(timeout=max(left, 0.01)).payload)
        except queue.Empty:
            pytest.fail("the core no longer answers card swipes")
        if body["request_id"] == req.id:
            assert body["granted"] is True
            return


def hostile_topics(topics: Topics) -> dict[str, str]:
    return {
        "core reply topic": topics.reply("core", "status"),
        "another core reply topic": topics.reply("core", "door.unlock"),
        "api request topic": topics.api("door-b3", "status"),
        "access request topic": topics.access_request("b3-e2"),
        "face access request topic": topics.face_access_request("b3-e2"),
        "door event topic": topics.door_event("b3-e2"),
    }


@pytest.mark.parametrize(
    "target",
    [
        "core reply topic",
        "another core reply topic",
        "api request topic",
        "access request topic",
        "face access request topic",
        "door event topic",
    ],
)
def test_hostile_payloads_leave_the_core_answering(
    core_and_door: tuple[Core, Bus], topics: Topics, target: str
) -> None:
    core, door = core_and_door
    topic = hostile_topics(topics)[target]
    # Each twice: a thread that survived the first must survive the next one as well. The
    # swipe below comes from the same client, so the broker delivers it after all of these.
    for payload in HOSTILE.values():
        door.publish(topic, payload)
        door.publish(topic, payload)
    swipe_is_answered(door, topics)
    assert set(door.request("status", timeout=5)["doors"]) == {"b3-e2"}
    assert core.bus.connected


def test_a_careless_handler_does_not_stop_the_network_thread(
    mosquitto: object, make_bus: Callable[..., Bus], topics: Topics
) -> None:
    """A handler that parses without bounds raises RecursionError on the network thread; the
    bus logs it, skips that message and goes on delivering."""
    port = mosquitto.port  # type: ignore[attr-defined]
    listener = make_bus(port, "listener", 5)
    sender = make_bus(port, "sender", 5)
    got: queue.Queue[object] = queue.Queue()
    listener.subscribe(topics.events("x"), lambda m: got.put(json.loads(m.payload)))
    sender.publish(topics.events("x"), DEEP_200K)
    sender.publish(topics.events("x"), b'{"after": true}')
    assert got.get(timeout=5) == {"after": True}


def test_a_client_hears_its_answers_after_a_hostile_reply(
    core_and_door: tuple[Core, Bus],
    topics: Topics,
    mosquitto: object,
    make_bus: Callable[..., Bus],
) -> None:
    """The same for a console or CLI: junk on its reply topic does not cost it later answers."""
    core, door = core_and_door
    console = make_bus(mosquitto.port, "console", 5)  # type: ignore[attr-defined]
    for payload in HOSTILE.values():
        door.publish(topics.reply("console", "status"), payload)
    assert set(console.request("status", timeout=5)["doors"]) == {"b3-e2"}


# -- the bounded decoder itself --------------------------------------------------------------


@pytest.mark.parametrize("payload", [DEEP_SMALL, DEEP_OBJECTS, b'{"a":' + b"[" * 40 + b"]" * 40])
def test_nesting_past_the_limit_is_refused_before_parsing(payload: bytes) -> None:
    assert len(payload) <= MAX_PAYLOAD
    with pytest.raises(MessageError, match=f"nested deeper than {MAX_DEPTH}"):
        decode_object(payload)


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = "[" * 500 + '\\"' + "{" * 500
    payload = json.dumps({"note": text, "deep": [[[[1]]]], "slash": "\\"}).encode()
    assert decode_object(payload)["note"] == text


def test_the_nesting_limit_leaves_room_for_real_messages() -> None:
    ok = {"a": json.loads("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))}
    assert decode_object(json.dumps(ok)) == ok


def test_too_long_a_number_is_a_message_error() -> None:
    with pytest.raises(MessageError, match="not JSON"):
        decode_object(LONG_NUMBER)
