"""A screen's gateway once stopped: a screen closing may still ask the core something in its
last frame (a clock event, a refresh), and that must not raise on the UI thread."""

from __future__ import annotations

from typing import Any

from compound.adapters.mqtt import BusConfig
from compound.protocol.topics import Topics
from ui.gateway import MqttGateway


def test_asking_a_stopped_gateway_drops_the_question_without_raising(topics: Topics) -> None:
    answers: list[Any] = []
    # Never started: connecting to no broker would keep a worker thread trying.
    gw = MqttGateway(BusConfig(port=1), topics, "ui-door-test", dispatch=answers.append)
    gw.stop()
    # Each raised "cannot schedule new futures after shutdown" from the worker pool.
    gw.request("status", {}, answers.append)
    gw.subscribe_then_publish("intercom/d1/call/+/state", print, "intercom/d1/call", {}, print)
    gw.start()
    assert gw._pool._shutdown  # the pool is closed: none of them can run or answer
