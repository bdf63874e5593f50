"""The adaptive responder and the replays that blink, for bench/bench_face_attacks.py.

The responder stands in for the genuine side, which cannot be filmed here: it watches the
challenge the door panel shows and plays the resident's own photos as a live person would
move: it blinks when the panel asks it to ("look at the camera and blink"), now and then on its
own, and answers the challenge after reading it (a turn or a look up: a blend into the photo
that makes the move and little else; "blink twice": a double blink). Its blinks are painted on
the photo (devkit/face_blink.py: the eyelids drawn over the eyes from the landmarks), since
three of the four residents' photos hold no blink the check accepts. Asked to look up where
none of the resident's photos shows a look-up the judge accepts, it nods: its front photo
warped as a head tilting back (devkit/face_nod.py), 4° a frame up to 24°, held, and back,
as a live person can always do (``painted_nod=False`` plays the photos only).

It is exactly what an attacker holding a resident's photos and an image editor can build, so
the replays here blink the same way but do not react to the panel: a looping video of the
photos that blinks on every photo, one photo blinking at a steady pace, one photo blinking
in pairs (a double blink every 3 s, made against the "blink twice" rule), and one photo that
blinks and then nods up (painted) in a loop, which answers "look up" when the panel happens
to ask it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np

from compound.domain.face.challenge import (
    ChallengeRules,
    aligned_patch,
    head_pose,
    planar_residual,
    similarity,
)
from compound.domain.face.liveness import ear
from compound.domain.face.watch import BLINK, CameraWatch
from devkit import face_blink, face_clips, face_nod

FPS = 8
# The painted nod: frames 4° apart (a live nod up takes about half a second), up to 24°.
NOD_TOP, NOD_STEPS = 24.0, 6


class Photos:
    """A resident's photos placed at the door, with landmarks, pose and a painted blink each."""

    def __init__(self, rec: Any, photos: list[np.ndarray]) -> None:
        bg = face_clips.background()
        self.placed = [face_clips.place(p, bg) for p in photos]
        self.lm, self.pose, self.blinks, self.depth, self.smooth = [], [], [], [], []
        for f in self.placed:
            lm = rec.landmarks(f, rec.detect(f)[0])
            self.lm.append(lm)
            self.pose.append((*head_pose(lm), ear(lm)))
            frames = face_blink.blink(f, lm)
            self.blinks.append(frames)
            shut = frames[len(frames) // 2]
            boxes = rec.detect(shut)
            # how far the painted lid closes the eye, as the landmarks see it
            self.depth.append(ear(rec.landmarks(shut, boxes[0])) / ear(lm) if boxes else 9.0)
            # how alike the face stays through the blink (the watch takes a jump for a cut)
            seq = [f, *frames, f]
            patches = [aligned_patch(g, rec.landmarks(g, rec.detect(g)[0])) for g in seq]
            pairs = zip(patches, patches[1:], strict=False)
            self.smooth.append(min(similarity(a, b) for a, b in pairs))
        yaw, pitch, eye = zip(*self.pose, strict=True)
        n = range(len(photos))
        opened = [i for i in n if eye[i] >= 0.6 * max(eye)]
        # an open-eyed photo whose painted blink closes deep and smoothly, the one that
        # answers most challenges
        good = [i for i in opened if self.depth[i] < 0.6 and self.smooth[i] > 0.8] or opened
        self.front = max(
            good,
            key=lambda f: (sum(v is not None for v in self.answers(f).values()), -self.depth[f]),
        )
        # the front photo tilting back, built once (the bench knows a frame by its array)
        self.nod = face_nod.look_up(
            self.placed[self.front], self.lm[self.front], NOD_TOP, NOD_STEPS
        )

    def answers(self, f: int) -> dict[str, int | None]:
        """From photo ``f``, the photo that makes each asked head move most clearly (the asked
        axis past its need and ahead of the other one, out of the face's plane as a head's
        move is), or None."""
        r = ChallengeRules()
        yaw, pitch, _eye = zip(*self.pose, strict=True)

        def pick(asked: Callable[[int], float], other: Callable[[int], float]) -> int | None:
            ok = [
                i
                for i in range(len(self.pose))
                if asked(i) >= 1.02
                and asked(i) >= 1.05 * r.dominance * other(i)
                and planar_residual(self.lm[f], self.lm[i]) >= 1.1 * r.min_nonplanar
            ]
            # the clearest: furthest past both the need and the other axis
            return (
                max(ok, key=lambda i: min(asked(i), asked(i) / (r.dominance * max(other(i), 0.05))))
                if ok
                else None
            )

        turn = lambda i: (yaw[i] - yaw[f]) / r.turn  # noqa: E731
        up = lambda i: (pitch[f] - pitch[i]) / r.look_up  # noqa: E731
        return {
            "turn_left": pick(turn, lambda i: abs(up(i))),
            "turn_right": pick(lambda i: -turn(i), lambda i: abs(up(i))),
            "look_up": pick(up, lambda i: abs(turn(i))),
        }

    def fade(self, a: int, b: int, steps: int = 3, hold: int = 2) -> list[np.ndarray]:
        out = []
        for s in range(1, steps + 1):
            k = s / (steps + 1)
            out.append(((1 - k) * self.placed[a] + k * self.placed[b]).astype(np.uint8))
        return out + [self.placed[b]] * hold


class Responder:
    """Plays a resident's photos as a live person at the door would; see the module note."""

    def __init__(self, photos: Photos, seed: int, painted_nod: bool = True) -> None:
        self.p = photos
        self.painted_nod = painted_nod
        self.asked: list[tuple[str, bool]] = []  # each challenge: its kind, whether a photo can
        self.rng = random.Random(seed)
        self._fades: dict[tuple[int, int, int], list[np.ndarray]] = {}

    def _fade(self, a: int, b: int, hold: int = 2) -> list[np.ndarray]:
        key = (a, b, hold)
        if key not in self._fades:  # built once: the cache knows a frame by its array
            self._fades[key] = self.p.fade(a, b, hold=hold)
        return list(self._fades[key])

    def _blink(self) -> list[np.ndarray]:
        f = self.p.front
        return [*self.p.blinks[f], self.p.placed[f]]

    def _nod(self) -> list[np.ndarray]:
        """Up, held, and down again (the same arrays each time)."""
        up = self.p.nod
        return [*up, up[-1], up[-1], *reversed(up[:-1]), self.p.placed[self.p.front]]

    def run(self, watch: CameraWatch, seconds: float) -> float | None:
        self.asked = []
        front = self.p.placed[self.p.front]
        at = 0.0
        queue: list[np.ndarray] = []
        # asked to blink, a person does so after reading the panel (0.4-1.0 s); then blinks on
        # his own every 2-5 s
        blink_at = self.rng.uniform(0.4, 1.0)
        asked_blink = False
        answered: set[str] = set()
        while at <= seconds:
            if not queue and at >= blink_at:
                queue += self._blink()
                blink_at = at + self.rng.uniform(2.0, 5.0)
            frame = queue.pop(0) if queue else front
            out = watch.process(frame, at)
            at += 1 / FPS
            if out.requests:
                return at
            if out.status == BLINK and not asked_blink:
                asked_blink = True
                blink_at = min(blink_at, at + self.rng.uniform(0.4, 1.0))
            c = out.challenge
            if c is not None and c.id not in answered:
                answered.add(c.id)
                queue += self.answer(c.kind)
                blink_at = float("inf")  # no blink of his own while answering
        return None

    def answer(self, kind: str) -> list[np.ndarray]:
        """The frames that answer a prompt of ``kind`` (noted in ``asked``): a person reads it
        (0.5-0.9 s) before moving, then makes the move and comes back."""
        f = self.p.front
        frames = [self.p.placed[f]] * self.rng.randint(4, 7)
        if kind == "blink_twice":
            self.asked.append((kind, True))
            return frames + self._blink() + self._blink()
        target = self.p.answers(f)[kind]
        self.asked.append((kind, target is not None))
        if target is not None:
            return frames + self._fade(f, target, hold=3) + self._fade(target, f)
        if kind == "look_up" and self.painted_nod:
            return frames + self._nod()
        return frames


def blinking_replays(p: Photos) -> dict[str, list[np.ndarray]]:
    """Loops with painted blinks that do not react to the panel."""
    video: list[np.ndarray] = []
    for i in range(len(p.placed)):
        j = (i + 1) % len(p.placed)
        video += [p.placed[i]] * 2 + p.blinks[i] + [p.placed[i]] + p.fade(i, j, hold=0)
    f = p.front
    open_ = p.placed[f]
    steady = [open_] * 3 + p.blinks[f]  # a blink every 0.75 s
    pairs = [open_] * 17 + p.blinks[f] + [open_] + p.blinks[f]  # a double blink every 3 s
    # a blink, then a nod up 0.4 s after the eyes open (as soon as a prompt could be read),
    # held, and down: every 2.9 s
    nodding = [open_] * 2 + p.blinks[f] + [open_] * 3 + p.nod + [p.nod[-1]] * 2
    nodding += [*reversed(p.nod[:-1]), open_, open_]
    return {
        "video with blinks": video,
        "photo blinking steadily": steady,
        "photo blinking in pairs": pairs,
        "photo blinking and nodding": nodding,
    }
