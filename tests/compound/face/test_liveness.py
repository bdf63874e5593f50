"""Blink and motion checks on synthetic landmark sequences."""

from __future__ import annotations

import numpy as np

from compound.domain.face.liveness import LivenessWindow, ear


def _face(open_: float, shift: float = 0.0) -> np.ndarray:
    """68 landmarks with two eyes whose aspect ratio is ``open_``."""
    pts = np.zeros((68, 2))
    pts[:, 0] = np.linspace(0, 100, 68) + shift
    pts[:, 1] = 50 + shift

    def eye(cx: float) -> np.ndarray:
        h = open_ * 20 / 2
        return (
            np.array(
                [
                    [cx - 10, 50],
                    [cx - 4, 50 - h],
                    [cx + 4, 50 - h],
                    [cx + 10, 50],
                    [cx + 4, 50 + h],
                    [cx - 4, 50 + h],
                ]
            )
            + shift
        )

    pts[36:42] = eye(30)
    pts[42:48] = eye(70)
    return pts


def test_ear_of_an_open_and_a_closed_eye() -> None:
    """The aspect ratio is the measure the blink check rests on."""
    assert abs(ear(_face(0.3)) - 0.3) < 1e-6
    assert ear(_face(0.05)) < 0.1


def test_blink_with_small_movements_is_live() -> None:
    """Open, closed, open again, with the head moving a little: a living face."""
    w = LivenessWindow()
    for i, e in enumerate([0.3, 0.31, 0.3, 0.12, 0.1, 0.29, 0.3]):
        w.add(i * 0.1, _face(e, shift=0.3 * (i % 2)))
    assert w.verdict().live


def test_the_same_frame_repeated_is_refused_as_still() -> None:
    """A still photo held on a stand (or a frame fed again and again) never moves."""
    w = LivenessWindow()
    for i in range(20):
        w.add(i * 0.1, _face(0.3))
    v = w.verdict()
    assert not v.live and v.reason == "perfectly still"


def test_moving_without_a_blink_is_not_live() -> None:
    """A photo waved in front of the camera moves but never blinks."""
    w = LivenessWindow()
    for i in range(20):
        w.add(i * 0.1, _face(0.3, shift=i * 0.5))
    v = w.verdict()
    assert not v.live and v.reason == "no blink yet"


def test_closed_eyes_that_never_open_are_not_a_blink() -> None:
    """Eyes closing at the end of the window (not reopened) do not count yet."""
    w = LivenessWindow()
    for i, e in enumerate([0.3, 0.3, 0.3, 0.1, 0.1]):
        w.add(i * 0.1, _face(e, shift=0.3 * (i % 2)))
    assert not w.verdict().live


def test_old_samples_leave_the_window() -> None:
    """A blink from long ago does not make a later still photo live."""
    w = LivenessWindow()
    for i, e in enumerate([0.3, 0.1, 0.3]):
        w.add(i * 0.1, _face(e, shift=0.3 * i))
    for i in range(10):
        w.add(20 + i * 0.1, _face(0.3))
    assert not w.verdict().live
