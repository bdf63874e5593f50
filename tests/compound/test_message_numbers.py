"""Numbers JSON does not have (NaN, Infinity) are refused by the bus decoder, wherever they sit.

Python's JSON reader takes ``NaN``, ``Infinity`` and ``-Infinity`` although JSON has no such
numbers. The named fields were checked (``get_num``), but what a message carries unchecked (a
door event's ``data``, a door's state) went into the log as written. SQLite's JSON functions
refuse such text, so one door event with ``NaN`` in its data made the core's lookup of that
door's redelivered events fail from then on: the event after it was never logged nor
acknowledged, and the bridge, which sends a door's events one at a time, held every later event
of that door behind it, its forced-open and held-open alarms included.
"""

from __future__ import annotations

from collections import Counter

import pytest

from compound.domain.clock import ManualClock
from compound.ports import Message
from compound.protocol.messages import DoorEvent, MessageError, decode_object
from compound.protocol.topics import Topics
from compound.services.door_feed import DoorFeed
from compound.store.db import Store

CONSTANTS = [b"NaN", b"Infinity", b"-Infinity"]


def event(constant: bytes, event_id: str) -> bytes:
    return (
        b'{"door_id":"d1","type":"opened","at":1000,"id":"' + event_id.encode() + b'",'
        b'"data":{"reading":[1,{"v":' + constant + b"}]}}"
    )


@pytest.mark.parametrize("constant", CONSTANTS)
def test_a_number_json_does_not_have_is_refused_at_any_depth(constant: bytes) -> None:
    with pytest.raises(MessageError, match="not JSON"):
        decode_object(b'{"a":[1,{"b":' + constant + b"}]}")
    with pytest.raises(MessageError, match="not JSON"):
        DoorEvent.decode(event(constant, "e1"))
    # The same words inside a string are text, not numbers.
    assert decode_object(b'{"a":"NaN Infinity"}') == {"a": "NaN Infinity"}


@pytest.mark.parametrize("constant", CONSTANTS)
def test_such_an_event_changes_nothing_and_the_doors_next_event_is_logged(
    store: Store, clock: ManualClock, constant: bytes
) -> None:
    store.add_door("d1", "Entrance", ["3"])
    topics = Topics("test")
    counters: Counter[str] = Counter()
    feed = DoorFeed(store, clock, topics, counters)
    before = len(store.events(types=["door.opened"]))
    feed.on_event(Message(topics.door_event("d1"), event(constant, "e1")))
    assert counters["door_event.malformed"] == 1
    fine = b'{"door_id":"d1","type":"opened","at":1001,"id":"e2","data":{}}'
    feed.on_event(Message(topics.door_event("d1"), fine))
    logged = store.events(types=["door.opened"])[before:]
    assert [e.data["event_id"] for e in logged] == ["e2"]
