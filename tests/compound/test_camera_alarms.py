"""The core raises one ``camera_gone`` alarm per outage of a face camera, from the retained
``face/<camera>/state``: delivered again (a reconnect, a restart of the core) it raises nothing
more, whether the alarm is open or acknowledged; a new outage of the same camera raises a new
one; a state naming another camera than its topic is refused. On a real Mosquitto; each check
that nothing was raised waits for a later camera's alarm first (the fence)."""

from __future__ import annotations

import time
from typing import Any

from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.store.db import Store


def test_one_alarm_per_outage(live_store: Store, mosquitto: Any, make_bus: Any) -> None:
    store = live_store
    store.add_door("lobby", "Lobby", ["3"])
    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(store, core_bus, SystemClock(), Config())
    core.start()
    core_bus.start()
    face = make_bus(mosquitto.port, "face")
    t = core.topics

    def state(camera: str, at: float, state: str = "gone", topic: str | None = None) -> None:
        body = {"camera": camera, "doors": ["lobby"], "state": state, "detail": "x", "at": at}
        face.publish(t.face_state(topic or camera), body, retain=True)

    def alarms() -> list[str]:
        return [a.message for a in store.alarms() if a.kind == "camera_gone"]

    def until(n: int) -> list[str]:
        deadline = time.monotonic() + 30
        while len(alarms()) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return alarms()

    try:
        state("lobby-cam", 100.0)
        assert len(until(1)) == 1 and "camera lobby-cam at lobby" in alarms()[0]
        state("lobby-cam", 100.0)  # delivered again
        state("lobby-cam", 130.0)  # another report while the alarm is open
        state("lobby-cam", 131.0, topic="gate-cam")  # names another camera than its topic
        state("fence-1", 100.0)
        assert [m.split(" ")[1] for m in until(2)] == ["fence-1", "lobby-cam"]
        assert core.counters["camera_state.malformed"] == 1

        open_ = [a for a in store.alarms() if a.kind == "camera_gone" and "lobby-cam" in a.message]
        store.acknowledge_alarm(open_[0].id, "officer Wang")
        state("lobby-cam", 100.0)  # the retained state again, after the acknowledgement
        state("fence-2", 100.0)
        assert [m.split(" ")[1] for m in until(3)] == ["fence-2", "fence-1", "lobby-cam"]
        state("lobby-cam", 100.0, "online")
        state("lobby-cam", 500.0)  # a new outage
        assert [m.split(" ")[1] for m in until(4)][0] == "lobby-cam"
        assert len(alarms()) == 4
    finally:
        core.stop()
