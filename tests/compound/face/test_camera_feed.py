"""One camera's reader hands frames to the worker oldest first, within two seconds of frames,
and gives the rest back to be followed in order once the worker has found the face: so the
first seconds of a visit (often the blink) are not lost while the workers served other
cameras; frames the reader could not follow go back to the front of the queue, in order.
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


def test_oldest_first_within_two_seconds_then_the_rest_for_the_reader() -> None:
    offered: list[str] = []
    feed = _feed(offered)
    frames = [Frame(np.zeros((2, 2, 3), np.uint8), float(i), i) for i in range(20)]
    for f in frames:
        feed.hand_over(f, False)
    assert len(offered) == 20 and feed.look_waiting()
    # 8 fps: two seconds are 16 frames; older ones were let go
    assert feed.take() == (frames[4], False)
    check = Frame(np.zeros((2, 2, 3), np.uint8), 20.0, 20)
    feed.hand_over(check, True)
    back = feed.catch_up()
    assert [f.seq for f in back] == list(range(5, 20))
    assert feed.catch_up() == [] and not feed.look_waiting()
    feed.requeue(back[3:])  # the reader followed three, then a worker was at the camera
    assert feed.take() == (frames[8], False)
    assert [f.seq for f in feed.catch_up()] == list(range(9, 20))
    assert feed.take() == (check, True)
    assert feed.take() == (None, False)
    feed.hand_over(frames[0], False)
    feed.drop_waiting()
    assert feed.take() == (None, False)
