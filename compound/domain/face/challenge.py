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
    # ... and below this it is a flat picture at once (a head past the need is bent more).
    flat: float = 0.02
    # Eyes closed: below this fraction of the open level (deeper than LivenessRules' 0.75: the
    # landmarks of a photo moved about jitter by that much).
    closed_ratio: float = 0.65
    reopen_ratio: float = 0.85
    # No person reads a prompt and moves within this time; a face that moves at once (by more
    # than a third of a turn or half a look up) is a clip that was moving anyway. 0.6 s, not
    # less: a looping video holds each picture for about a quarter of a second and then fades
    # into the next, and from a prompt shown just before a fade that happens to be the asked
    # turn, a window of 0.4 s saw only the hold and the fade's first step (a person needs the
    # prompt to reach the panel, to read it and to start moving: more than 0.6 s).
    react_s: float = 0.6
    # ... as judged from the frames seen: a frame after ``react_s`` that follows the one before
    # it by more than this (a busy service drops frames) is still judged as in the window,
    # since the move it shows may have begun inside it.
    max_gap_s: float = 0.4
    # Challenges one face may try; after that it must leave and come back (a new track). One:
    # a clip that moves about would otherwise get several draws at a matching move.
    attempts: int = 1
    # Asked to blink, a person holds still: the eyes' midpoint moving more than this (in eye
    # distances) between two frames is a picture moved about, whose landmark jitter can look
    # like a blink.
    blink_still: float = 0.05
    # Asked to blink twice, the second blink closes the eyes within this time of the first.
    double_gap_s: float = 1.2
    # ... any blink before the pair is at least this many times the pair's gap earlier, and the
    # eyes open again until as long after the second closure (at least ``settle_s``): a
    # steady rhythm of blinks is a clip.
    rhythm: float = 1.5
    settle_s: float = 0.4
    # A head move is the asked one when it is this many times the other axis's (each measured
    # in what its own challenge needs): a nod that turns a little is a look up.
    dominance: float = 1.5


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(landmarks, dtype=np.float64)
    return p[LEFT_EYE].mean(axis=0), p[RIGHT_EYE].mean(axis=0)


def eye_corners(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each eye's centre taken from its two corners only: a blink moves the lids, not the
    corners, so a pose or a shift measured from these does not move when the eyes close."""
    p = np.asarray(landmarks, dtype=np.float64)
    return (p[36] + p[39]) / 2, (p[42] + p[45]) / 2


def head_pose(landmarks: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) as the nose tip's offset from the eyes' midpoint (from the eye corners),
    in eye distances, along and across the line of the eyes. Yaw grows when the person turns
    to their left (the nose moves to the camera's right); pitch shrinks when they look up."""
    p = np.asarray(landmarks, dtype=np.float64)
    le, re = eye_corners(p)
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
    """How far the eyes' midpoint (from the corners) moved, in eye distances."""
    a, b = eye_corners(before), eye_corners(after)
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
    """One challenge for one track: landmarks in, "waiting", "passed" or "failed" out.

    Head moves are judged by the dominant axis: each move is measured in units of what its own
    challenge needs (a turn in ``turn``, a nod in ``look_up``); the asked move passes once it
    reaches 1 and is ``dominance`` times the other axis's; the other axis fails the attempt
    once it reaches its own need without the asked one ``dominance`` times larger. A raise of
    the head that turns it a little is a look up; a turn with a little nod is a turn; a move
    that is as much the other one is another move. The asked move the wrong way (left for
    right, down for up) fails at half its need. The asked move passes only once it was seen
    being made: some frame judged after ``react_s`` must show the face short of it (a frame
    that shows it done first, after a gap in the frames judged, is not an answer seen).

    Two blinks pass when they are a double blink: the second closes within ``double_gap_s`` of
    the first, any blink before them is at least ``rhythm`` times that gap earlier, and the eyes
    are open again and stay so until ``rhythm`` times the gap (``settle_s`` at least) after the
    second closure. A clip that blinks
    at a steady rhythm, however fast, never shows such a pair; a person asked to blink twice
    blinks twice quickly and stops.
    """

    def __init__(
        self,
        challenge: Challenge,
        baseline: np.ndarray,
        rules: ChallengeRules | None = None,
        history: Sequence[tuple[float, float]] = (),
    ) -> None:
        self.challenge = challenge
        self.rules = rules or ChallengeRules()
        self._base = np.asarray(baseline, dtype=np.float64)
        self._yaw0, self._pitch0 = head_pose(self._base)
        # the eyes' open level: a high percentile of the openings seen, not the largest (one
        # frame's landmarks can read the eyes wider than they are, and no reopening reached it)
        self._ears = [e for _t, e in history][-24:] + [ear(self._base)]
        self._open = float(np.percentile(self._ears, 90))
        self._closed = False
        self._early = False  # the eyes closed before the prompt could be read
        self._closures: list[float] = []  # when each counted blink closed the eyes
        self._reopened: float | None = None  # when the latest counted blink ended
        self._last = self._base
        # a frame judged after the prompt could be read that had not reached the asked move:
        # a move passes only once it was seen being made, not when the first frame after a
        # gap in the frames judged (a busy service drops some) already shows it done
        self._short_seen = False
        self._prev_at = challenge.issued_at  # the frame judged last
        self._read = False  # a frame seen after react_s, close after the one before it
        # blinks nobody asked for: before the prompt, and at once after it
        self._unasked = _closures(history, self.rules)
        self.state = "waiting"
        self.reason = ""

    def _fail(self, why: str) -> str:
        self.state, self.reason = "failed", why
        return self.state

    def _moves(self, landmarks: np.ndarray) -> tuple[float, float]:
        """(asked, other): the asked move and the largest other one, in units of their needs
        (positive: the asked way)."""
        r = self.rules
        yaw, pitch = head_pose(landmarks)
        turn = (yaw - self._yaw0) / r.turn  # > 0: to the person's left
        up = (self._pitch0 - pitch) / r.look_up  # > 0: up
        kind = self.challenge.kind
        if kind == "turn_left":
            return turn, abs(up)
        if kind == "turn_right":
            return -turn, abs(up)
        if kind == "look_up":
            return up, abs(turn)
        return 0.0, max(abs(turn), abs(up))

    def add(self, at: float, landmarks: np.ndarray) -> str:
        if self.state != "waiting":
            return self.state
        if at > self.challenge.expires_at:
            return self._fail("no answer in time")
        r = self.rules
        kind = self.challenge.kind
        asked, other = self._moves(landmarks)
        gap, self._prev_at = at - self._prev_at, at
        if at - self.challenge.issued_at >= r.react_s and gap <= r.max_gap_s:
            self._read = True
        if not self._read:
            yaw, pitch = head_pose(landmarks)
            if abs(yaw - self._yaw0) >= r.turn / 3 or abs(pitch - self._pitch0) >= r.look_up / 2:
                return self._fail("moved before the prompt could be read")
            if kind == "blink_twice" and ear(landmarks) < self._open * r.closed_ratio:
                if not self._closed:
                    self._unasked.append(at)
                self._closed = self._early = True
            elif (
                kind == "blink_twice"
                and self._closed
                and ear(landmarks) >= self._open * r.reopen_ratio
            ):
                # a blink before the prompt could be read ended (unasked, never counted): the
                # next closure is a blink of its own
                self._closed = self._early = False
            return self.state
        if kind == "blink_twice":
            return self._blinks(at, landmarks, other)
        # the asked move the wrong way (left for right, down for up) by half its need
        if asked <= -0.5:
            return self._fail("looked down" if kind == "look_up" else "turned the other way")
        if other >= 1.0 and asked < r.dominance * other:
            return self._fail(
                "turned instead" if kind == "look_up" else "looked up or down instead of turning"
            )
        if asked < 1.0:
            self._short_seen = True
        elif asked >= r.dominance * other and self._short_seen:
            bent = planar_residual(self._base, landmarks)
            if bent < r.flat:
                return self._fail("moved as a flat picture")
            if bent >= r.min_nonplanar:
                self.state = "passed"
            # in between: a head just past the need is only a little out of its plane (a
            # 20° turn 0.028); it passes once it is clearly bent, a picture never is
        return self.state

    def _blinks(self, at: float, landmarks: np.ndarray, moved: float) -> str:
        r = self.rules
        # asked to blink, a person holds the head still
        if moved >= 0.5:
            return self._fail("moved instead of blinking")
        shift = _eyes_shift(self._last, landmarks)
        self._last = np.asarray(landmarks, dtype=np.float64)
        if shift > r.blink_still:
            return self._fail("moved instead of blinking")
        e = ear(landmarks)
        self._ears = [*self._ears[-23:], e]
        self._open = float(np.percentile(self._ears, 90))
        if not self._closed and e < self._open * r.closed_ratio:
            self._closed = True
            self._closures.append(at)
            self._reopened = None  # a pair passes only once its last blink has ended
        elif self._closed and e >= self._open * r.reopen_ratio:
            self._closed = False
            if self._early:  # began before the prompt could be read: not an answer
                self._early = False
            else:
                self._reopened = at
        if not self._closed and self._reopened is not None and self._paired():
            u = self._unasked
            if any(b - a <= r.double_gap_s for a, b in zip(u, u[1:], strict=False)):
                # the face blinked in pairs before it was asked: a clip that does so anyway
                return self._fail("blinked twice before it was asked")
            c = self._closures
            # the pause is counted from the second closure: a steady clip's next blink would
            # close the eyes one gap after it, inside the pause
            if at - c[-1] >= max(r.settle_s, r.rhythm * (c[-1] - c[-2])):
                self.state = "passed"
        return self.state

    def _paired(self) -> bool:
        """Are the last two blinks a double blink, apart from any blink before them?"""
        c, r = self._closures, self.rules
        if len(c) < 2:
            return False
        gap = c[-1] - c[-2]
        if gap > r.double_gap_s:
            return False
        return len(c) < 3 or c[-2] - c[-3] >= r.rhythm * gap


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

    def deal(
        self, at: float, baseline: np.ndarray, history: Sequence[tuple[float, float]] = ()
    ) -> ChallengeCheck:
        """``history``: the face's (time, eye aspect ratio) before the prompt."""
        kind = self._choose(self.rules.kinds)
        c = Challenge(self._new_id()[:12], kind, at, at + self.rules.window_s)
        return ChallengeCheck(c, baseline, self.rules, history)


def _closures(history: Sequence[tuple[float, float]], r: ChallengeRules) -> list[float]:
    """When the eyes closed in ``history`` ((time, eye aspect ratio) pairs), after being open."""
    if not history:
        return []
    top = max(e for _t, e in history)
    out, closed, was_open = [], False, False
    for t, e in history:
        if e >= top * r.reopen_ratio:
            closed, was_open = False, True
        elif e < top * r.closed_ratio and not closed and was_open:
            closed = True
            out.append(t)
    return out


def face_quality(box: Box, landmarks: np.ndarray) -> float:
    """Larger and more frontal is better: the box width, less for a turned or tilted face."""
    yaw, _pitch = head_pose(landmarks)
    return float(box.width) * max(0.0, 1.0 - 2.0 * abs(yaw))
