"""The face service feeds its watchdog while its worker runs and a camera delivers frames; a
camera gone while others deliver is named (reported once per outage, and in the status line),
not restarted for; a unit test on a moved clock, and the watchdog socket seeing it."""

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
        self.reports: list[tuple[str, str, str]] = []


def health(c: Cams, stale_s: float = 10.0) -> FrameHealth:
    return FrameHealth(
        lambda: dict(c.frames),
        lambda: c.worker,
        lambda: c.now,
        stale_s,
        report=lambda *r: c.reports.append(r),
    )


def test_healthy_while_every_camera_delivers() -> None:
    c = Cams()
    h = health(c)
    for _ in range(30):
        c.now += 1
        c.frames = {k: v + 8 for k, v in c.frames.items()}
        assert h.check() is None
    assert h.status() == "serving 2 of 2 cameras"
    assert c.reports == [("gate", "online", ""), ("lobby", "online", "")]


def test_a_camera_that_stops_is_named_and_the_watchdog_still_fed() -> None:
    c = Cams()
    h = health(c)
    c.now += 1
    c.frames = {"gate": 8, "lobby": 8}
    assert h.check() is None
    for _ in range(9):
        c.now += 1
        c.frames["gate"] += 8  # lobby delivers nothing more
        assert h.check() is None
    assert c.reports[-1] == ("lobby", "online", "")
    for _ in range(40):  # gone for good: reported once, the watchdog fed throughout
        c.now += 1
        c.frames["gate"] += 8
        assert h.check() is None
    assert c.reports[2:] == [("lobby", "gone", "no frame for 10 s")]
    assert h.status() == "serving 1 of 2 cameras; gone: lobby (no frame for 49 s)"
    c.frames["lobby"] += 1  # it is back
    assert h.check() is None
    assert h.status() == "serving 2 of 2 cameras"
    assert c.reports[-1] == ("lobby", "online", "")


def test_a_camera_that_never_opens_is_named_after_the_grace() -> None:
    c = Cams()
    h = health(c)
    c.now += 9.9
    c.frames["gate"] = 5
    assert h.check() is None
    c.now += 0.2
    c.frames["gate"] = 6
    assert h.check() is None
    assert h.status() == "serving 1 of 2 cameras; gone: lobby (no frame for 10 s)"
    assert c.reports == [("gate", "online", ""), ("lobby", "gone", "no frame for 10 s")]


def test_every_camera_gone_or_a_stopped_worker_starves_the_watchdog() -> None:
    c = Cams()
    h = health(c)
    c.now += 12
    assert h.check() == ("every camera gone: gate (no frame for 12 s), lobby (no frame for 12 s)")
    c.frames["gate"] = 3
    assert h.check() is None
    c.worker = False
    assert h.check() == "the recognition worker has stopped"
    assert h.status() == "recognition worker stopped; gone: lobby (no frame for 12 s)"


def test_the_watchdog_is_fed_while_one_camera_delivers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
    monkeypatch.setenv("WATCHDOG_USEC", "3000")
    c = Cams()
    h = health(c, stale_s=5)
    stop = threading.Event()
    script = ["both", "gate", "gate", "none", "none", "both"]  # what delivers at each look
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

    Notifier().watch(check, stop, said.append, h.status)
    sock.settimeout(1)
    got = []
    try:
        while True:
            got.append(sock.recv(200).decode())
    except TimeoutError:
        pass
    finally:
        sock.close()
    # both at 3 s; gate alone at 6 s and 9 s (lobby silent 6 s at 9 s: gone, still fed); at
    # 12 s and 15 s nothing: gate silent 6 s at 15 s, every camera gone, not fed; both at 18 s.
    assert got == [
        "STATUS=serving 2 of 2 cameras",
        "WATCHDOG=1",
        "WATCHDOG=1",
        "STATUS=serving 1 of 2 cameras; gone: lobby (no frame for 6 s)",
        "WATCHDOG=1",
        "STATUS=serving 1 of 2 cameras; gone: lobby (no frame for 9 s)",
        "WATCHDOG=1",
        "STATUS=serving 0 of 2 cameras; gone: gate (no frame for 6 s), lobby (no frame for 12 s)",
        "STATUS=serving 2 of 2 cameras",
        "WATCHDOG=1",
        "WATCHDOG=1",
    ]
    assert said == [
        "unhealthy: every camera gone: gate (no frame for 6 s), lobby (no frame for 12 s); "
        "the watchdog is not fed",
        "healthy again",
    ]
