"""The motion gate: a cheap look at every kept frame that decides whether the expensive face
detector runs at all. Pure: numpy only.

Frigate's way, made smaller: a grey copy a few dozen pixels wide, compared with a running
average of the scene and with the previous kept frame; a pixel that differs from both by more
than ``delta`` grey levels has changed, and when at least ``min_area`` of the pixels changed
there is motion. Against the average alone, a person who has just left leaves a ghost in it
that counted as motion until the average had learned the empty scene again (0.5-0.8 s at 10
fps); the previous frame shows the empty scene at once. A parked bicycle or a light switched on
likewise stops counting as soon as it is still.

The gate stays open ``hold_s`` after the last motion (a face the detector missed on one frame
is looked for on the next few), and longer, up to ``wait_s``, while the detector has not yet
looked at a frame taken since the last motion (``nobody`` says it has, and found no face): a
person who walked in while the workers were busy with other cameras and then stood still is
looked at when a worker comes, not forgotten because he stopped moving. A face once found is
looked at whatever the gate says (the service follows it), so the gate only has to find it.
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
    hold_s: float = 0.5  # the gate stays open this long after the last motion
    wait_s: float = 2.0  # and this long while no detector has looked since the motion


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
        self._prev: np.ndarray | None = None
        self._last_motion = float("-inf")
        self._nobody = float("-inf")  # the latest frame the detector found no face on
        self.last_area = 0.0  # fraction changed in the last frame, for the status and the bench

    @property
    def grey(self) -> np.ndarray | None:
        """The grey copy of the frame last given to ``update`` (None before the first): the
        camera's tamper check looks at the same copy instead of making its own."""
        return self._prev

    def update(self, rgb: np.ndarray, at: float) -> bool:
        r = self.rules
        g = small_grey(rgb, r.width)
        if self._avg is None or self._avg.shape != g.shape:
            # A scene never seen: look once (someone may already be standing there), without
            # holding the gate open: an idle camera costs one detector call when it starts.
            self._avg, self._prev = g, g
            self.last_area = 1.0
            return True
        prev = self._prev if self._prev is not None and self._prev.shape == g.shape else g
        changed = (np.abs(g - self._avg) > r.delta) & (np.abs(g - prev) > r.delta)
        self._prev = g
        self.last_area = float(changed.mean())
        self._avg += r.alpha * (g - self._avg)
        if self.last_area >= r.min_area:
            self._last_motion = at
        since = at - self._last_motion
        unseen = self._nobody < self._last_motion  # no detector has looked since the motion
        return since <= r.hold_s or (unseen and since <= r.wait_s)

    def nobody(self, at: float) -> None:
        """The detector looked at the frame taken at ``at`` and found no face: motion until
        then has been looked at (the gate then closes ``hold_s`` after the last motion)."""
        self._nobody = max(self._nobody, at)
