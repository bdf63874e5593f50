"""A subscription made while the bus is connecting is not lost.

The officer wall builds its screens while its bus connects: a subscription made after the
connect callback took its list of subscriptions, but before the broker acknowledged them, was
kept by the bus and never sent to the broker, so the wall silently heard no events (the alarm
queue missed alarms until the next poll; the flake of the many-doors wall test). The
interleaving is forced here: the first acknowledgement waits until the late subscription has
been made."""

from __future__ import annotations

import threading
from typing import Any

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.protocol.topics import Topics


def test_a_subscription_made_while_connecting_reaches_the_broker(mosquitto: Mosquitto) -> None:
    topics = Topics("late")
    cfg = BusConfig(port=mosquitto.port)
    bus = Bus(cfg, topics, "late-subscriber")
    got: list[Message] = []
    arrived = threading.Event()

    def on_fence(msg: Message) -> None:
        got.append(msg)
        arrived.set()

    bus.subscribe(topics.all("fence"), on_fence)  # known before connecting
    in_window = threading.Event()
    made = threading.Event()
    original = bus._client.on_subscribe

    def held(*args: Any, **kw: Any) -> None:
        # The connect callback has taken its list; hold the acknowledgement until the late
        # subscription has been made (it is made while "connected" is still false).
        in_window.set()
        made.wait(30)
        original(*args, **kw)

    bus._client.on_subscribe = held
    starter = threading.Thread(target=lambda: bus.start(timeout=30))
    starter.start()
    assert in_window.wait(30)
    assert not bus.connected
    late = threading.Thread(target=lambda: bus.subscribe(topics.all("events/#"), got.append))
    late.start()
    # It has registered its handler once the bus lists it.
    while not any(f == topics.all("events/#") for f, _, _ in bus._handlers):
        late.join(0.01)
    made.set()
    late.join(30)
    starter.join(30)
    bus._client.on_subscribe = original
    assert bus.connected
    pub = Bus(cfg, topics, "late-publisher")
    pub.start(timeout=30)
    try:
        pub.publish(topics.all("events/alarm.raised"), {"n": 1})
        pub.publish(topics.all("fence"), {"n": 2})  # after it, in order, from one client
        assert arrived.wait(30)
        assert [m.topic for m in got] == [topics.all("events/alarm.raised"), topics.all("fence")]
    finally:
        pub.stop()
        bus.stop()
