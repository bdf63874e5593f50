"""One camera's reader thread for the face service (``FaceCameras``).

It drains the camera's stream at the stream's pace (a network camera that is not read fills a
buffer with stale frames), keeps one frame per ``1/fps``, puts it through the motion gate, lets
the service follow a tracked face's landmarks on it at once, and otherwise offers it to the
detector worker when there is motion or a face was seen on the last look. A camera that fails
is reported and opened again with back-off, on this thread only.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compound.adapters.camera import CameraError, Frame, Source
from compound.camera_config import CameraWiring
from compound.domain.clock import Clock
from compound.domain.face.motion import MotionGate
from compound.domain.face.tamper import TamperJudge
from compound.domain.face.watch import CameraWatch

log = logging.getLogger(__name__)

RETRY_S = (1.0, 2.0, 5.0, 10.0)  # camera reopen back-off
CATCH_UP_S = 2.0  # frames kept for the worker's look at most this far back (a blink in the
# first second of a visit is still there when several people arrived at once and the workers
# reach this camera late)
AFTER_EMPTY_S = 1.0  # after a look that found nobody, at most this much of the newer frames
# stay waiting: the face may come in on them (with its blink), but a camera whose workers
# are behind does not keep them looking at frames older than this, one by one


@dataclass(frozen=True)
class CameraSpec:
    """A camera as the service runs it: its wiring and its opened source object."""

    wiring: CameraWiring
    source: Source


class CameraFeed:
    """One camera's reader: open (and reopen), read, keep a frame per period, gate on motion."""

    def __init__(
        self,
        spec: CameraSpec,
        watch: CameraWatch,
        gate: MotionGate,
        clock: Clock,
        offer: Callable[[CameraFeed], None],
        report: Callable[[CameraFeed, str, str], None],
        stop: threading.Event,
        preview: Callable[[CameraFeed, Frame], None] | None = None,
        preview_fps: float = 0.0,
        follow: Callable[[CameraFeed, Frame], bool] | None = None,
        tamper: TamperJudge | None = None,
    ) -> None:
        self.id = spec.wiring.id
        self.wiring = spec.wiring
        self.source = spec.source
        self.watch = watch
        self.gate = gate
        self.clock = clock
        self._offer = offer
        self._report = report
        self._stop = stop
        self._preview = preview
        self._follow = follow
        self.tamper = tamper  # is the picture still a picture (covered, painted, frozen)?
        self._preview_period = 1.0 / preview_fps if preview_fps else None
        self.counters: Counter[str] = Counter()
        self.face_waiting = False  # set by the worker: a face was seen on the last look
        self.ok = False
        self.boxes: list[Any] = []
        # Frames waiting for the worker's full look, oldest first: the worker looks at the
        # oldest, and once it has found and named the face, the reader follows the rest in
        # order, so the frames of the first second (often the blink) are not lost while the
        # worker was busy with other cameras. Bounded: at most CATCH_UP_S of frames.
        self._waiting: deque[Frame] = deque(maxlen=max(2, int(spec.wiring.fps * CATCH_UP_S)))
        self._after_empty = max(2, int(spec.wiring.fps * AFTER_EMPTY_S))
        self._check: Frame | None = None  # a frame for the detector's check of a followed face
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.id}", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
        self.source.close()

    def take(self) -> tuple[Frame | None, bool]:
        """The next frame for the worker (the oldest waiting first), and whether it is only
        for a check of the followed face."""
        with self._lock:
            if self._waiting:
                return self._waiting.popleft(), False
            frame, self._check = self._check, None
            return frame, frame is not None

    def look_waiting(self) -> bool:
        """Is a frame waiting for a full look (not only the check of a followed face)?"""
        with self._lock:
            return bool(self._waiting)

    def catch_up(self) -> list[Frame]:
        """The frames still waiting, oldest first, for the reader to follow itself."""
        with self._lock:
            frames = list(self._waiting)
            self._waiting.clear()
        return frames

    def requeue(self, frames: list[Frame]) -> None:
        """Frames taken for catching up that the reader could not follow: back to the front
        of the worker's queue, in order."""
        with self._lock:
            self._waiting.extendleft(reversed(frames))

    def drop_waiting(self, at: float | None = None) -> bool:
        """Nobody on the frame the worker looked at (taken at ``at``): it and the frames before
        it are not worth a look, and the motion gate may close once it holds no newer motion.
        The newer frames stay waiting, the newest ``AFTER_EMPTY_S`` of them at most: a person
        walking in shows no face on the first frames and his face, often his blink, on the
        next ones. ``at`` None: drop them all. True when frames are still waiting."""
        with self._lock:
            if at is None:
                self._waiting.clear()
            else:
                while self._waiting and self._waiting[0].at <= at:
                    self._waiting.popleft()
                while len(self._waiting) > self._after_empty:
                    self._waiting.popleft()
            left = bool(self._waiting)
        if at is not None:
            self.gate.nobody(at)
        return left

    def hand_over(self, frame: Frame, check: bool) -> None:
        """Offer the frame to the worker: for a full look, or for a check of a followed face."""
        with self._lock:
            if check:
                self._check = frame
            else:
                self._waiting.append(frame)
        self._offer(self)

    def _open(self) -> bool:
        attempt = 0
        while not self._stop.is_set():
            try:
                self.source.open()
                if not self.ok:
                    log.info("camera %s open (%s)", self.id, self.source.name)
                self.ok = True
                return True
            except CameraError as e:
                self.ok = False
                self.counters["camera.failed"] += 1
                log.warning("%s; retrying", e)
                self._report(self, "camera offline", str(e))
                self._stop.wait(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1
        return False

    def _run(self) -> None:
        period = 1.0 / self.wiring.fps
        live = getattr(self.source, "live", True)
        next_keep = 0.0
        last_preview = 0.0
        if not self._open():
            return
        while not self._stop.is_set():
            now = self.clock.monotonic()
            try:
                if live and now < next_keep:
                    # Drain the stream without converting the frame: only the newest matters.
                    self.source.skip()
                    self.counters["skipped"] += 1
                    continue
                if not live and now < next_keep:
                    self._stop.wait(next_keep - now)
                    continue
                glance = getattr(self.source, "glance", None)
                if glance is None:
                    frame = self.source.read()
                    if frame is None:  # a finite replay has ended
                        self._report(self, "camera ended", "")
                        return
                    small, at = frame.rgb, frame.at
                else:
                    # A JPEG camera: the gate looks at a copy decoded at a quarter size; the
                    # full decode only when there is motion or a face to look at.
                    g = glance()
                    small, at, frame = g.grey, g.at, None
                next_keep = max(next_keep + period, now) if next_keep else now + period
                self.counters["kept"] += 1
                moving = self.gate.update(small, at)
                grey = self.gate.grey
                if self.tamper is not None and grey is not None and self.tamper.due():
                    # Twice a second, on the gate's own grey copy: tens of microseconds.
                    self.tamper.see(grey)
                if moving:
                    self.counters["motion"] += 1
                if frame is None and (moving or self.face_waiting or self.watch.following(at)):
                    frame = g.full()
                    self.counters["decoded"] += 1
            except CameraError as e:
                self.ok = False
                self.counters["camera.lost"] += 1
                log.warning("%s", e)
                self._report(self, "camera offline", str(e))
                if not self._open():
                    return
                continue
            if frame is None:  # only glanced at: nothing moved, nobody is followed
                continue
            # A followed face's landmarks run here, on every kept frame, so its blink and its
            # answer to the challenge are seen at the camera's own rate; only a new face, a
            # lost one and the periodic check wait for the worker's detector.
            behind = False
            if self._follow is not None and self.watch.following(frame.at):
                waiting = self.catch_up()
                for i, older in enumerate(waiting):
                    if not self._follow(self, older):  # a worker is here: it takes them, in order
                        self.requeue(waiting[i:])
                        behind = True
                        break
            followed = not behind and self._follow is not None and self._follow(self, frame)
            if followed or moving or self.face_waiting:
                if not followed:
                    self.hand_over(frame, False)
                if (
                    self._preview is not None
                    and self._preview_period is not None
                    and now - last_preview >= self._preview_period
                ):
                    last_preview = now
                    self._preview(self, frame)
