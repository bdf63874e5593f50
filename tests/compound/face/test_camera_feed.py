"""One camera's reader hands frames to the worker oldest first, within one second of frames,
and gives the rest back to be followed in order once the worker has found the face: so the
first second of a visit (often the blink) is not lost while the worker served other cameras.
Unit test: a source that is never opened; the frames are plain arrays."""

from __future__ import annotations

import threading

import numpy as np

from compound.adapters.camera import Frame
from compound.camera_config import CameraWiring
from compound.domain.clock import SystemClock
from compound.domain.face.motion import MotionGate
from compound.services.camera_feed import CameraFeed, CameraSpec


class _Unopened:
    name, live = "unopened", True

    def open(self) -> None: ...
    def skip(self) -> None: ...
    def read(self) -> Frame | None:
        return None

    def close(self) -> None: ...


def _feed(offered: list[str]) -> CameraFeed:
    spec = CameraSpec(CameraWiring("cam", "x", ["d"], 8.0, "never"), _Unopened())
    return CameraFeed(
        spec,
        None,  # type: ignore[arg-type]  # the watch is not used by hand_over/take
        MotionGate(),
        SystemClock(),
        lambda f: offered.append(f.id),
        lambda f, s, d: None,
        threading.Event(),
    )


def test_oldest_first_within_a_second_then_the_rest_for_the_reader() -> None:
    offered: list[str] = []
    feed = _feed(offered)
    frames = [Frame(np.zeros((2, 2, 3), np.uint8), float(i), i) for i in range(12)]
    for f in frames:
        feed.hand_over(f, False)
    assert len(offered) == 12
    # 8 fps: one second is 8 frames; older ones were let go
    assert feed.take() == (frames[4], False)
    check = Frame(np.zeros((2, 2, 3), np.uint8), 12.0, 12)
    feed.hand_over(check, True)
    assert [f.seq for f in feed.catch_up()] == list(range(5, 12))
    assert feed.catch_up() == []
    assert feed.take() == (check, True)
    assert feed.take() == (None, False)
    feed.hand_over(frames[0], False)
    feed.drop_waiting()
    assert feed.take() == (None, False)
