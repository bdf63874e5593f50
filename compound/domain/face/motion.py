"""The motion gate: a cheap look at every kept frame that decides whether the expensive face
detector runs at all. Pure: numpy only.

Frigate's way, made smaller: a grey copy a few dozen pixels wide, compared with a running
average of the scene; a pixel that differs by more than ``delta`` grey levels has changed, and
when at least ``min_area`` of the pixels changed there is motion. The gate stays open
``hold_s`` after the last motion, so a person who stops in front of the camera is still looked
at (and while a face is tracked the service keeps looking whatever the gate says). The average
learns the scene slowly, so a parked bicycle or a light switched on stops counting as motion
after a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MotionRules:
    width: int = 80  # the grey copy's width in pixels; about 80×60 for a 640×480 frame
    delta: float = 25.0  # grey levels a pixel must change by; below it is sensor/codec noise
    min_area: float = 0.004  # fraction of the copy's pixels that must change
    alpha: float = 0.2  # how fast the average learns the scene (per kept frame)
    hold_s: float = 1.5  # the gate stays open this long after the last motion


def small_grey(rgb: np.ndarray, width: int) -> np.ndarray:
    """A grey copy about ``width`` pixels wide, by taking every n-th pixel (no filtering: the
    average below smooths noise, and this costs well under a millisecond)."""
    w = rgb.shape[1]
    step = max(1, w // max(1, width))
    s = rgb[::step, ::step]
    if s.ndim == 2:
        return s.astype(np.float32)
    return s[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


class MotionGate:
    """One camera's motion state; ``update`` says whether the frame is worth a detector call."""

    def __init__(self, rules: MotionRules | None = None) -> None:
        self.rules = rules or MotionRules()
        self._avg: np.ndarray | None = None
        self._last_motion = float("-inf")
        self.last_area = 0.0  # fraction changed in the last frame, for the status and the bench

    def update(self, rgb: np.ndarray, at: float) -> bool:
        r = self.rules
        g = small_grey(rgb, r.width)
        if self._avg is None or self._avg.shape != g.shape:
            # A scene never seen: look once (someone may already be standing there), without
            # holding the gate open: an idle camera costs one detector call when it starts.
            self._avg = g
            self.last_area = 1.0
            return True
        changed = np.abs(g - self._avg) > r.delta
        self.last_area = float(changed.mean())
        self._avg += r.alpha * (g - self._avg)
        if self.last_area >= r.min_area:
            self._last_motion = at
        return at - self._last_motion <= r.hold_s
