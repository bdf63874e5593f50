"""Liveness that needs a live person: a random challenge, and the continuity of one face.
Pure: numpy only; the random choice is injected.

A replayed photo, slideshow or video was made before the person came to the door, so it cannot
know which of "turn your head left", "turn your head right", "look up" or "blink twice" the door
panel will ask for; the answer is judged from the 68 landmarks within ``window_s``. A move the
wrong way (left when asked right) fails the attempt at once, so a clip that moves about at
random does not pass by chance. A turn must also bend the face out of its plane: the landmarks
after the turn must not be an affine image of those before it (a photo tilted or turned in front
of the camera moves as a plane; a head does not: the nose moves against the cheeks).

``aligned_patch`` and ``similarity`` judge continuity: a small grey patch sampled in the face's
own frame (from the eye positions) changes a little between two frames of one face, and a lot
at a cut from one photo to another.

What a 2D camera cannot stop is written in docs/face.md: an attacker who watches the panel and
answers with matching photos or a rendered face (the "adaptive responder"), and masks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from compound.domain.face.liveness import LEFT_EYE, RIGHT_EYE, ear
from compound.domain.face.model import Box

NOSE_TIP = 30
KINDS = ("turn_left", "turn_right", "look_up", "blink_twice")
# What the door panel shows, large, in both languages.
PROMPTS: dict[str, tuple[str, str]] = {
    "turn_left": ("请向左转头", "Turn your head to the left"),
    "turn_right": ("请向右转头", "Turn your head to the right"),
    "look_up": ("请抬头", "Look up"),
    "blink_twice": ("请眨眼两次", "Blink twice"),
}


@dataclass(frozen=True)
class ChallengeRules:
    kinds: tuple[str, ...] = KINDS
    window_s: float = 6.0
    # Nose-tip offset from the eyes' midpoint, in eye distances: a head turned by about 20°
    # moves it by 0.15 or more.
    turn: float = 0.12
    look_up: float = 0.08
    # Least-squares affine fit of the landmarks before and after a turn: the RMS residual, in
    # eye distances, that a head reaches and a plane does not (test photos: a real pose change
    # 0.054 and more, a photo turned in perspective 0.028 at most).
    min_nonplanar: float = 0.04
    # Eyes closed: below this fraction of the open level (deeper than LivenessRules' 0.75: the
    # landmarks of a photo moved about jitter by that much).
    closed_ratio: float = 0.65
    reopen_ratio: float = 0.85
    # No person reads a prompt and moves within this time; a face that moves at once (by more
    # than a third of a turn or half a look up) is a clip that was moving anyway.
    react_s: float = 0.4
    # Challenges one face may try; after that it must leave and come back (a new track). One:
    # a clip that moves about would otherwise get several draws at a matching move.
    attempts: int = 1
    # Asked to blink, a person holds still: the eyes' midpoint moving more than this (in eye
    # distances) between two frames is a picture moved about, whose landmark jitter can look
    # like a blink.
    blink_still: float = 0.05


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(landmarks, dtype=np.float64)
    return p[LEFT_EYE].mean(axis=0), p[RIGHT_EYE].mean(axis=0)


def head_pose(landmarks: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) as the nose tip's offset from the eyes' midpoint, in eye distances, along
    and across the line of the eyes. Yaw grows when the person turns to their left (the nose
    moves to the camera's right); pitch shrinks when they look up."""
    p = np.asarray(landmarks, dtype=np.float64)
    le, re = eye_centres(p)
    axis = re - le
    gap = float(np.linalg.norm(axis))
    if gap <= 0:
        return 0.0, 0.0
    ux = axis / gap
    uy = np.array([-ux[1], ux[0]])
    d = p[NOSE_TIP] - (le + re) / 2
    return float(d @ ux) / gap, float(d @ uy) / gap


def planar_residual(before: np.ndarray, after: np.ndarray) -> float:
    """How far ``after`` is from the best affine image of ``before`` (RMS, in eye distances)."""
    a = np.asarray(before, dtype=np.float64)
    b = np.asarray(after, dtype=np.float64)
    design = np.hstack([a, np.ones((len(a), 1))])
    coef, *_ = np.linalg.lstsq(design, b, rcond=None)
    resid = b - design @ coef
    le, re = eye_centres(b)
    gap = float(np.linalg.norm(re - le)) or 1.0
    return float(np.sqrt((resid**2).sum(axis=1).mean())) / gap


def aligned_patch(rgb: np.ndarray, landmarks: np.ndarray, n: int = 16) -> np.ndarray:
    """An n×n grey patch of the face sampled in the face's own frame (eye line and eye
    distance), zero mean and unit norm: comparable across small moves, turns of the frame and
    changes of size."""
    le, re = eye_centres(landmarks)
    ex = re - le
    ey = np.array([-ex[1], ex[0]])
    centre = (le + re) / 2 + 0.5 * ey
    u = np.linspace(-0.9, 0.9, n)
    xs = centre[0] + u[None, :] * ex[0] + u[:, None] * ey[0]
    ys = centre[1] + u[None, :] * ex[1] + u[:, None] * ey[1]
    h, w = rgb.shape[:2]
    xi = np.clip(np.rint(xs).astype(np.int64), 0, w - 1)
    yi = np.clip(np.rint(ys).astype(np.int64), 0, h - 1)
    px = rgb[yi, xi].astype(np.float64)
    g = px.mean(axis=-1) if px.ndim == 3 else px
    g = g - g.mean()
    norm = float(np.linalg.norm(g))
    return g / norm if norm > 0 else g


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised correlation of two patches: 1 for the same face a moment later."""
    return float((a * b).sum())


def _eyes_shift(before: np.ndarray, after: np.ndarray) -> float:
    """How far the eyes' midpoint moved, in eye distances."""
    a, b = eye_centres(before), eye_centres(after)
    gap = float(np.linalg.norm(b[1] - b[0])) or 1.0
    return float(np.linalg.norm((b[0] + b[1]) / 2 - (a[0] + a[1]) / 2)) / gap


@dataclass(frozen=True)
class Challenge:
    id: str
    kind: str
    issued_at: float
    expires_at: float

    @property
    def zh(self) -> str:
        return PROMPTS[self.kind][0]

    @property
    def en(self) -> str:
        return PROMPTS[self.kind][1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "zh": self.zh,
            "en": self.en,
            "expires_at": round(self.expires_at, 3),
        }


class ChallengeCheck:
    """One challenge for one track: landmarks in, "waiting", "passed" or "failed" out."""

    def __init__(
        self, challenge: Challenge, baseline: np.ndarray, rules: ChallengeRules | None = None
    ) -> None:
        self.challenge = challenge
        self.rules = rules or ChallengeRules()
        self._base = np.asarray(baseline, dtype=np.float64)
        self._yaw0, self._pitch0 = head_pose(self._base)
        self._open = ear(self._base)
        self._closed = False
        self._blinks = 0
        self._last = self._base
        self.state = "waiting"
        self.reason = ""

    def _fail(self, why: str) -> str:
        self.state, self.reason = "failed", why
        return self.state

    def add(self, at: float, landmarks: np.ndarray) -> str:
        if self.state != "waiting":
            return self.state
        if at > self.challenge.expires_at:
            return self._fail("no answer in time")
        r = self.rules
        yaw, pitch = head_pose(landmarks)
        dyaw, dpitch = yaw - self._yaw0, pitch - self._pitch0
        kind = self.challenge.kind
        if at - self.challenge.issued_at < r.react_s:
            if abs(dyaw) >= r.turn / 3 or abs(dpitch) >= r.look_up / 2:
                return self._fail("moved before the prompt could be read")
            return self.state
        # Any move other than the one asked, by half of what the asked one needs, fails the
        # attempt at once: a clip that moves about does not pass by chance.
        turn_ok = (kind == "turn_left" and dyaw > -r.turn / 2) or (
            kind == "turn_right" and dyaw < r.turn / 2
        )
        if kind in ("turn_left", "turn_right"):
            if not turn_ok:
                return self._fail("turned the other way")
            # a turn raises or lowers the nose a little with it; a nod as large as the turn is
            # another move
            if abs(dpitch) >= 1.5 * r.look_up:
                return self._fail("looked up or down instead of turning")
        elif abs(dyaw) >= r.turn / 2:
            return self._fail("turned instead")
        elif kind == "blink_twice" and abs(dpitch) >= r.look_up / 2:
            return self._fail("moved instead of blinking")
        if kind in ("turn_left", "turn_right") and abs(dyaw) >= r.turn:
            if planar_residual(self._base, landmarks) < r.min_nonplanar:
                return self._fail("moved as a flat picture")
            self.state = "passed"
        elif kind == "look_up" and -dpitch >= r.look_up:
            if planar_residual(self._base, landmarks) < r.min_nonplanar:
                return self._fail("moved as a flat picture")
            self.state = "passed"
        elif kind == "look_up" and dpitch >= r.look_up / 2:
            return self._fail("looked down")
        elif kind == "blink_twice":
            shift = _eyes_shift(self._last, landmarks)
            self._last = np.asarray(landmarks, dtype=np.float64)
            if shift > r.blink_still:
                return self._fail("moved instead of blinking")
            e = ear(landmarks)
            self._open = max(self._open, e)
            if not self._closed and e < self._open * r.closed_ratio:
                self._closed = True
            elif self._closed and e >= self._open * r.reopen_ratio:
                self._closed = False
                self._blinks += 1
                if self._blinks >= 2:
                    self.state = "passed"
        return self.state


class ChallengeDealer:
    """Draws a challenge per attempt; ``choose`` is ``secrets.choice`` on the box."""

    def __init__(
        self,
        rules: ChallengeRules | None,
        choose: Callable[[Sequence[str]], str],
        new_id: Callable[[], str],
    ) -> None:
        self.rules = rules or ChallengeRules()
        self._choose = choose
        self._new_id = new_id

    def deal(self, at: float, baseline: np.ndarray) -> ChallengeCheck:
        kind = self._choose(self.rules.kinds)
        c = Challenge(self._new_id()[:12], kind, at, at + self.rules.window_s)
        return ChallengeCheck(c, baseline, self.rules)


def face_quality(box: Box, landmarks: np.ndarray) -> float:
    """Larger and more frontal is better: the box width, less for a turned or tilted face."""
    yaw, _pitch = head_pose(landmarks)
    return float(box.width) * max(0.0, 1.0 - 2.0 * abs(yaw))
