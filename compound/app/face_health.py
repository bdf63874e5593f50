"""The face service's health for its systemd watchdog: every camera delivers frames.

``FrameHealth.check`` is the ``health`` callable of ``Notifier.watch``: ``None`` while the
recognition worker runs and each camera has delivered a frame within ``stale_s``; otherwise the
cameras that are gone, by name, with how long each has been silent. The service then stops
feeding the watchdog and systemd restarts it (which reopens every camera) after ``WatchdogSec``;
until then each camera's own state is also on its ``face/<camera>/result`` topic.

A frame counts when the camera's reader took it from the stream, kept or skipped: an idle
camera (no motion, nothing for dlib to do) is a healthy one.
"""

from __future__ import annotations

from collections.abc import Callable

STALE_S = 10.0  # a third of the units' WatchdogSec=30


class FrameHealth:
    def __init__(
        self,
        frames: Callable[[], dict[str, int]],
        worker_ok: Callable[[], bool],
        monotonic: Callable[[], float],
        stale_s: float = STALE_S,
    ) -> None:
        self._frames = frames
        self._worker_ok = worker_ok
        self._now = monotonic
        self.stale_s = stale_s
        start = monotonic()
        # camera -> (frames counted, when that count last changed); a camera is given stale_s
        # from the start to open.
        self._seen: dict[str, tuple[int, float]] = {c: (-1, start) for c in frames()}

    def check(self) -> str | None:
        now = self._now()
        gone: list[str] = []
        for camera, count in sorted(self._frames().items()):
            last_count, since = self._seen.get(camera, (-1, now))
            if count != last_count:
                if last_count >= 0 or count > 0:
                    since = now
                self._seen[camera] = (count, since)
            silent = now - since
            if silent >= self.stale_s:
                gone.append(f"{camera} (no frame for {silent:.0f} s)")
        problems = []
        if not self._worker_ok():
            problems.append("the recognition worker has stopped")
        if gone:
            problems.append(f"camera{'s' if len(gone) > 1 else ''} gone: {', '.join(gone)}")
        return "; ".join(problems) or None
