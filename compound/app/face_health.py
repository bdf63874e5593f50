"""The face service's health for its systemd watchdog, and the cameras it reports gone.

A camera unplugged for good must not take the other doors' faces with it: the service keeps
serving the cameras that deliver, and its watchdog is fed while the recognition worker runs and
at least one camera delivers frames. ``FrameHealth.check`` (the ``health`` callable of
``Notifier.watch``) returns why the watchdog is not fed only when the worker has stopped or
every camera is gone; systemd then restarts the service (which reopens every camera). A camera
gone while others deliver is reported instead, by camera id: ``status()`` for ``systemctl
status`` (``STATUS=``), and ``report(camera, state, detail)`` once each time a camera goes or
comes back, which the service turns into the retained ``face/<camera>/state`` (the core raises
the officer's ``camera_gone`` alarm from it). Meanwhile the camera's reader keeps reopening it
on its own back-off.

A frame counts when the camera's reader took it from the stream, kept or skipped: an idle
camera (no motion, nothing for dlib to do) is a healthy one. A camera is given ``stale_s`` from
the start to open.

A camera that delivers frames but sees nothing (covered, sprayed: ``blind``; the same picture
again and again: ``frozen``; ``compound/domain/face/tamper.py`` judges it on the reader) is
reported by that state instead of ``online``, and ``online`` again when it recovers. It does not
starve the watchdog: the service is doing its job, a restart would not clean a lens, and the
other doors' faces must go on.
"""

from __future__ import annotations

from collections.abc import Callable

from compound.domain.face.tamper import OK, Verdict
from compound.ports import Bus

STALE_S = 10.0  # a third of the units' WatchdogSec=30

Report = Callable[[str, str, str], None]  # camera, "online", "gone", "blind" or "frozen", detail


class FrameHealth:
    def __init__(
        self,
        frames: Callable[[], dict[str, int]],
        worker_ok: Callable[[], bool],
        monotonic: Callable[[], float],
        stale_s: float = STALE_S,
        report: Report | None = None,
        looks: Callable[[], dict[str, Verdict]] | None = None,
    ) -> None:
        self._frames = frames
        self._looks = looks  # camera -> what its pictures show (ok, blind, frozen)
        self._worker_ok = worker_ok
        self._now = monotonic
        self.stale_s = stale_s
        self._report = report
        start = monotonic()
        # camera -> (frames counted, when that count last changed)
        self._seen: dict[str, tuple[int, float]] = {c: (-1, start) for c in frames()}
        self._reported: dict[str, str] = {}  # camera -> the state last reported
        self.gone: dict[str, float] = {}  # camera -> seconds without a frame, as last checked
        self.blind: dict[str, str] = {}  # camera -> "blind" or "frozen", as last checked
        self.worker_stopped = False

    def check(self) -> str | None:
        """Why the watchdog must not be fed (the worker stopped, or every camera is gone);
        ``None`` while it is fed, even with some cameras gone."""
        now = self._now()
        counts = self._frames()
        looks = self._looks() if self._looks is not None else {}
        gone: dict[str, float] = {}
        blind: dict[str, str] = {}
        for camera, count in sorted(counts.items()):
            last_count, since = self._seen.get(camera, (-1, now))
            if count != last_count:
                if last_count >= 0 or count > 0:
                    since = now
                self._seen[camera] = (count, since)
            silent = now - since
            if silent >= self.stale_s:
                gone[camera] = silent
                self._tell(camera, "gone", f"no frame for {silent:.0f} s")
            elif count > 0:
                seen = looks.get(camera)
                if seen is not None and seen.state != OK:
                    blind[camera] = seen.state
                    self._tell(camera, seen.state, seen.detail)
                else:
                    self._tell(camera, "online", "")
        self.gone, self.blind = gone, blind
        self.worker_stopped = not self._worker_ok()
        problems = []
        if self.worker_stopped:
            problems.append("the recognition worker has stopped")
        if gone and len(gone) == len(counts):
            problems.append(f"every camera gone: {_names(gone)}")
        return "; ".join(problems) or None

    def status(self) -> str:
        """One line for ``systemctl status``, as of the last ``check``."""
        total = len(self._seen)
        if self.worker_stopped:
            text = "recognition worker stopped"
        else:
            text = f"serving {total - len(self.gone)} of {total} cameras"
        if self.gone:
            text += f"; gone: {_names(self.gone)}"
        if self.blind:
            text += "; not seeing: " + ", ".join(f"{c} ({s})" for c, s in self.blind.items())
        return text

    def _tell(self, camera: str, state: str, detail: str) -> None:
        if self._reported.get(camera) == state:
            return
        self._reported[camera] = state
        if self._report is not None:
            self._report(camera, state, detail)


def _names(gone: dict[str, float]) -> str:
    return ", ".join(f"{c} (no frame for {s:.0f} s)" for c, s in gone.items())


def camera_reporter(
    bus: Bus, doors: dict[str, list[str]], now: Callable[[], float], say: Callable[[str], None]
) -> Report:
    """``report`` for ``FrameHealth``: each camera's state retained on ``face/<camera>/state``
    (a core started later, a screen opened later, still learn that a camera is gone)."""

    def report(camera: str, state: str, detail: str) -> None:
        body = {
            "camera": camera,
            "doors": doors.get(camera, []),
            "state": state,
            "detail": detail,
            "at": now(),
        }
        bus.publish(bus.topics.face_state(camera), body, qos=1, retain=True)
        if state == "gone":
            say(f"camera {camera} gone ({detail}); the other cameras are served")
        elif state != "online":
            say(f"camera {camera} {state}: {detail}; faces are not recognised there")
        else:
            say(f"camera {camera} delivers frames")

    return report
