"""Counting what arrives per topic, for the flood quarantine: live messages only, under a key
where one is given, at most so many keys a window, each window taken once, and the handler
always called."""

from __future__ import annotations

from compound.ports import Message
from compound.services.topic_counts import TopicCounts


def test_live_messages_are_counted_per_topic_or_key_in_windows() -> None:
    handled: list[str] = []
    counts = TopicCounts(limit=3)
    plain = counts.counting(lambda m: handled.append(m.topic))
    zones = counts.counting(lambda m: handled.append(m.topic), lambda m: "zone/b1/+/state")
    for topic in ("door/d1/event", "door/d1/event", "door/d2/state"):
        plain(Message(topic, b"{}"))
    plain(Message("door/d3/state", b"{}", retain=True))  # sent on subscribing: not counted
    zones(Message("zone/b1/z1/state", b"{}"))
    zones(Message("zone/b1/z2/state", b"{}"))
    plain(Message("door/d4/event", b"{}"))  # a fourth key: past the bound, not counted
    assert len(handled) == 7  # every message handled, counted or not
    assert counts.take() == {"door/d1/event": 2, "door/d2/state": 1, "zone/b1/+/state": 2}
    # a new window: what was taken is not counted again, and a key past the bound before
    # is counted now
    plain(Message("door/d4/event", b"{}"))
    assert counts.take() == {"door/d4/event": 1}
    assert counts.take() == {}
