"""The face service feeds its watchdog only while every camera delivers frames, and says which
camera is gone; a unit test on a moved clock, and the watchdog socket seeing it."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from compound.adapters.systemd import Notifier
from compound.app.face_health import FrameHealth


class Cams:
    def __init__(self) -> None:
        self.now = 100.0
        self.frames = {"gate": 0, "lobby": 0}
        self.worker = True


def health(c: Cams, stale_s: float = 10.0) -> FrameHealth:
    return FrameHealth(lambda: dict(c.frames), lambda: c.worker, lambda: c.now, stale_s)


def test_healthy_while_every_camera_delivers() -> None:
    c = Cams()
    h = health(c)
    for _ in range(30):
        c.now += 1
        c.frames = {k: v + 8 for k, v in c.frames.items()}
        assert h.check() is None


def test_a_camera_that_stops_is_named() -> None:
    c = Cams()
    h = health(c)
    c.now += 1
    c.frames = {"gate": 8, "lobby": 8}
    assert h.check() is None
    for _ in range(9):
        c.now += 1
        c.frames["gate"] += 8  # lobby delivers nothing more
        assert h.check() is None
    c.now += 1
    c.frames["gate"] += 8
    assert h.check() == "camera gone: lobby (no frame for 10 s)"
    c.frames["lobby"] += 1  # it is back
    assert h.check() is None


def test_a_camera_that_never_opens_is_named_after_the_grace() -> None:
    c = Cams()
    h = health(c)
    c.now += 9.9
    c.frames["gate"] = 5
    assert h.check() is None
    c.now += 0.2
    c.frames["gate"] = 6
    assert h.check() == "camera gone: lobby (no frame for 10 s)"


def test_every_silent_camera_and_a_stopped_worker_are_said() -> None:
    c = Cams()
    h = health(c)
    c.now += 12
    c.worker = False
    assert h.check() == (
        "the recognition worker has stopped; cameras gone: gate (no frame for 12 s), "
        "lobby (no frame for 12 s)"
    )


def test_the_watchdog_starves_while_a_camera_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
    monkeypatch.setenv("WATCHDOG_USEC", "3000")
    c = Cams()
    h = health(c, stale_s=5)
    stop = threading.Event()
    script = ["gate", "gate", "both", "none", "none", "both"]  # what delivers at each look
    said: list[str] = []

    def check() -> str | None:
        if not script:
            stop.set()
            return h.check()
        step = script.pop(0)
        c.now += 3
        for cam in c.frames:
            if step == "both" or step == cam:
                c.frames[cam] += 1
        return h.check()

    Notifier().watch(check, stop, said.append)
    sock.settimeout(1)
    got = []
    try:
        while True:
            got.append(sock.recv(100).decode())
    except TimeoutError:
        pass
    finally:
        sock.close()
    # gate alone at 3 s and 6 s: lobby silent 6 s at the second look; both at 9 s; at 12 s and
    # 15 s nothing: silent 3 s then 6 s; both again at 18 s; the last look (stop) is healthy.
    assert got == ["WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"]
    assert said == [
        "unhealthy: camera gone: lobby (no frame for 6 s); the watchdog is not fed",
        "healthy again",
        "unhealthy: cameras gone: gate (no frame for 6 s), lobby (no frame for 6 s); "
        "the watchdog is not fed",
        "healthy again",
    ]
