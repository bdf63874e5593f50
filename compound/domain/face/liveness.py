"""Liveness from the 68-point landmarks over a few seconds of frames. Pure: no I/O.

Two checks, both needed:
- a blink: the eye aspect ratio (EAR, Soukupová and Čech 2016) drops well below the person's
  open-eye level and comes back up;
- not perfectly still: a living head moves by a fraction of a pixel at least between frames;
  a photo on a fixed mount, or the same frame fed again and again, does not move at all.

What this does not stop is written in docs/face.md: a video played on a phone, a printed photo
that is bent and moved with holes cut for the eyes, masks. Face is one credential among several
and the door panel's camera is watched by a person when it matters.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)


def eye_aspect_ratio(eye: np.ndarray) -> float:
    """(|p2-p6| + |p3-p5|) / (2 |p1-p4|) for the six points of one eye."""
    p = np.asarray(eye, dtype=np.float64)
    width = np.linalg.norm(p[0] - p[3])
    if width <= 0:
        return 0.0
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width))


def ear(landmarks: np.ndarray) -> float:
    """Mean EAR of both eyes."""
    return (eye_aspect_ratio(landmarks[LEFT_EYE]) + eye_aspect_ratio(landmarks[RIGHT_EYE])) / 2


@dataclass(frozen=True)
class LivenessRules:
    window_s: float = 6.0  # how long a blink is looked for
    closed_ratio: float = 0.75  # closed: EAR below this fraction of the open-eye level
    reopen_ratio: float = 0.85  # open again: back above this fraction
    min_open_ear: float = 0.15  # below this the eyes are not seen well enough to judge
    # Mean landmark movement between frames, as a fraction of the distance between the eyes.
    min_motion: float = 0.002


@dataclass(frozen=True)
class Verdict:
    live: bool
    reason: str  # "live", "no blink yet", "perfectly still", "eyes not visible", ...


class LivenessWindow:
    """The recent landmarks of one face; ``verdict()`` says whether it looks alive."""

    def __init__(self, rules: LivenessRules | None = None) -> None:
        self.rules = rules or LivenessRules()
        self._samples: deque[tuple[float, float, np.ndarray]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def add(self, at: float, landmarks: np.ndarray) -> None:
        pts = np.asarray(landmarks, dtype=np.float64)
        self._samples.append((at, ear(pts), pts))
        while self._samples and at - self._samples[0][0] > self.rules.window_s:
            self._samples.popleft()

    def __len__(self) -> int:
        return len(self._samples)

    def ears(self) -> list[tuple[float, float]]:
        """(time, eye aspect ratio) of each frame in the window, oldest first."""
        return [(at, e) for at, e, _pts in self._samples]

    def verdict(self) -> Verdict:
        r = self.rules
        if len(self._samples) < 3:
            return Verdict(False, "too few frames")
        ears = np.array([s[1] for s in self._samples])
        pts = [s[2] for s in self._samples]
        eye_gap = np.linalg.norm(pts[-1][LEFT_EYE].mean(axis=0) - pts[-1][RIGHT_EYE].mean(axis=0))
        if eye_gap <= 0:
            return Verdict(False, "eyes not visible")
        motion = max(
            float(np.mean(np.linalg.norm(b - a, axis=1))) / eye_gap
            for a, b in zip(pts, pts[1:], strict=False)
        )
        if motion < r.min_motion:
            return Verdict(False, "perfectly still")
        open_level = float(np.percentile(ears, 90))
        if open_level < r.min_open_ear:
            return Verdict(False, "eyes not visible")
        closed = ears < open_level * r.closed_ratio
        opened = ears >= open_level * r.reopen_ratio
        # A blink: some closed frame with an open frame before it and another after it.
        open_before = np.concatenate(([False], np.logical_or.accumulate(opened)[:-1]))
        open_after = np.concatenate((np.logical_or.accumulate(opened[::-1])[::-1][1:], [False]))
        if np.any(closed & open_before & open_after):
            return Verdict(True, "live")
        return Verdict(False, "no blink yet")
