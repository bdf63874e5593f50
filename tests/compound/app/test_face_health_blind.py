"""A camera that delivers frames but sees nothing (blind, frozen) is reported by that state,
once per outage, and ``online`` again when it recovers; it does not starve the watchdog (a
restart cleans no lens), and a camera that delivers nothing at all is still ``gone``. A unit
test on a moved clock."""

from __future__ import annotations

from compound.app.face_health import FrameHealth
from compound.domain.face.tamper import BLIND, FROZEN, OK, Verdict


class Cams:
    def __init__(self) -> None:
        self.now = 100.0
        self.frames = {"gate": 0, "lobby": 0}
        self.looks = {"gate": Verdict(OK, 0.0, ""), "lobby": Verdict(OK, 0.0, "")}
        self.reports: list[tuple[str, str, str]] = []

    def tick(self, *cameras: str) -> None:
        self.now += 1
        for c in cameras:
            self.frames[c] += 8


def health(c: Cams) -> FrameHealth:
    return FrameHealth(
        lambda: dict(c.frames),
        lambda: True,
        lambda: c.now,
        10.0,
        report=lambda *r: c.reports.append(r),
        looks=lambda: dict(c.looks),
    )


def test_a_blind_camera_is_reported_once_and_online_when_it_recovers() -> None:
    c = Cams()
    h = health(c)
    c.tick("gate", "lobby")
    assert h.check() is None
    c.looks["lobby"] = Verdict(BLIND, 90.0, "dark or uniform picture for 20 s")
    for _ in range(5):
        c.tick("gate", "lobby")
        assert h.check() is None  # the watchdog is fed: the service does its job
    assert h.status() == "serving 2 of 2 cameras; not seeing: lobby (blind)"
    c.looks["lobby"] = Verdict(OK, 106.0, "")
    c.tick("gate", "lobby")
    assert h.check() is None
    assert h.status() == "serving 2 of 2 cameras"
    assert c.reports == [
        ("gate", "online", ""),
        ("lobby", "online", ""),
        ("lobby", "blind", "dark or uniform picture for 20 s"),
        ("lobby", "online", ""),
    ]


def test_every_camera_blind_still_feeds_the_watchdog_and_gone_comes_first() -> None:
    c = Cams()
    h = health(c)
    c.looks = {k: Verdict(FROZEN, 0.0, "the very same picture for 30 s") for k in c.looks}
    c.tick("gate", "lobby")
    assert h.check() is None
    assert h.status() == "serving 2 of 2 cameras; not seeing: gate (frozen), lobby (frozen)"
    for _ in range(10):  # the lobby stops delivering: gone, whatever its last picture was
        c.tick("gate")
        assert h.check() is None
    assert c.reports[-1] == ("lobby", "gone", "no frame for 10 s")
    assert h.status().startswith("serving 1 of 2 cameras; gone: lobby")
    assert ("gate", "frozen", "the very same picture for 30 s") in c.reports
