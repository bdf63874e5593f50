"""A face camera reported ``blind`` or ``frozen`` raises one ``camera_blind`` /
``camera_frozen`` alarm per outage, like ``camera_gone``; when the camera reports ``online``
again, its open alarms say it came back, once (the retained state comes again at every
reconnect), and stay open for the officer; an acknowledged one is left as the officer closed
it. On a real Mosquitto; each check that nothing more happened waits for a later camera's
alarm first (the fence: the core reads camera states one by one, in order)."""

from __future__ import annotations

import time
from typing import Any

from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.domain.model import Alarm
from compound.store.db import Store
from ui.i18n_alarms import rule_message_zh

BACK = "; back online after "


def test_blind_and_frozen_alarms_and_the_camera_coming_back(
    live_store: Store, mosquitto: Any, make_bus: Any
) -> None:
    store = live_store
    store.add_door("lobby", "Lobby", ["3"])
    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(store, core_bus, SystemClock(), Config())
    core.start()
    core_bus.start()
    face = make_bus(mosquitto.port, "face")
    t = core.topics

    def state(camera: str, at: float, state: str, detail: str = "x") -> None:
        body = {"camera": camera, "doors": ["lobby"], "state": state, "detail": detail, "at": at}
        face.publish(t.face_state(camera), body, retain=True)

    def alarms() -> list[Alarm]:
        return [a for a in store.alarms() if a.kind.startswith("camera_")]

    def until(ok: Any) -> list[Alarm]:
        deadline = time.monotonic() + 30
        while not ok(alarms()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return alarms()

    fences = iter(range(1, 100))

    def fence() -> list[Alarm]:
        """Every state published so far has been read."""
        name = f"fence-{next(fences)}"
        state(name, 100.0, "gone")
        return [
            a for a in until(lambda a: any(name in x.message for x in a)) if name not in a.message
        ]

    try:
        state("lobby-cam", 100.0, "blind", "dark or uniform picture for 20 s")
        got = until(lambda a: len(a) == 1)
        assert [(a.kind, a.severity, a.door_id) for a in got] == [("camera_blind", "high", "lobby")]
        assert got[0].message.startswith(
            "camera lobby-cam at lobby sees nothing (dark or uniform picture for 20 s)"
        )
        assert rule_message_zh(got[0].message) == (
            "人脸摄像机 lobby-cam 被遮挡或画面全黑：此处无法刷脸，刷卡、密码和通行码仍可使用"
        )
        state("lobby-cam", 100.0, "blind")  # delivered again (a reconnect)
        state("lobby-cam", 150.0, "blind")  # a face service restarted while it is still open
        assert len(fence()) == 1

        state("lobby-cam", 340.0, "online")  # 4 min later the cover is gone
        (blind,) = [a for a in until(lambda a: BACK in a[-1].message) if a.kind == "camera_blind"]
        assert blind.message.endswith("; back online after 4 min") and blind.acknowledged_at is None
        assert (
            rule_message_zh(blind.message)
            == "人脸摄像机 lobby-cam 曾被遮挡或画面全黑，4 分钟后已恢复"
        )
        noted = store.query("SELECT data FROM events WHERE type = 'alarm.noted'")
        assert len(noted) == 1 and '"kind":"camera_blind"' in noted[0]["data"], noted
        state("lobby-cam", 340.0, "online")  # delivered again: said once only
        fence()
        assert store.alarm(blind.id).message.count(BACK) == 1

        # A new outage, frozen this time, while the blind alarm waits for the officer.
        state("lobby-cam", 400.0, "frozen", "the very same picture for 30 s")
        frozen = until(lambda a: any(x.kind == "camera_frozen" for x in a))[0]
        assert frozen.message.startswith("camera lobby-cam at lobby shows a frozen picture")
        store.acknowledge_alarm(blind.id, "officer Wang", "lens cleaned")
        state("lobby-cam", 410.0, "online")
        until(lambda a: BACK in store.alarm(frozen.id).message)
        assert store.alarm(frozen.id).message.endswith("; back online after 10 s")
        assert store.alarm(blind.id).note == "lens cleaned"  # the officer's, untouched

        # camera_gone is told it came back the same way.
        state("lobby-cam", 1000.0, "gone", "no frame for 10 s")
        gone = until(lambda a: any(x.kind == "camera_gone" and "lobby-cam" in x.message for x in a))
        gone_id = next(a.id for a in gone if a.kind == "camera_gone" and "lobby-cam" in a.message)
        state("lobby-cam", 1000.0 + 3 * 3600, "online")
        until(lambda a: BACK in store.alarm(gone_id).message)
        assert store.alarm(gone_id).message.endswith("; back online after 3 h")
        assert rule_message_zh(store.alarm(gone_id).message) == (
            "人脸摄像机 lobby-cam 曾无画面，3 小时后已恢复"
        )
        assert core.counters["camera_state.back"] == 3
    finally:
        core.stop()
