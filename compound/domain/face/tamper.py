"""Is a face camera that delivers frames still seeing anything? Pure: numpy only, clock injected.

A camera whose lens is covered, taped or sprayed, or whose stream has frozen, still delivers
frames, so the service counted it healthy while faces silently stopped being recognised at its
doors. Commercial systems call this "video tampering" and "video loss"; here a camera is judged
``ok``, ``blind`` (a dark or uniform picture for longer than ``blind_s``) or ``frozen`` (the very
same picture for longer than ``frozen_s``), and ``ok`` again after ``recover_s`` of good pictures.

The judgement looks at the motion gate's own grey copy (``MotionGate.grey``, about 80×60 grey
pixels), and only every ``every_s``: the cost on the reader's path is a few tens of microseconds
twice a second, never a pass over the full frame (``bench/bench_face_tamper.py``).

Why the numbers are what they are (grey levels of 0-255, on the 80×60 copy):
- ``flat_spread`` 2.5: the standard deviation of a lens covered in daylight is the sensor's
  noise alone at low gain, about 1 level on this grey copy (less after JPEG, which smooths flat
  areas): tape, a hand, a bag, paint of any colour, a lens lit through its cover by its own IR
  LEDs. A scene has edges, a door frame, a floor, vignetting: 13-14 for the test entrance by
  day, 3.7 for the same entrance at a fifth of the light with no lamp in view (the dimmest
  scene the tests keep ``ok``). A cover in the dark has high-gain noise above 2.5, but then it
  is dark, which the next test catches.
- ``dark_bright`` 20: the 99th percentile of the grey levels, i.e. "nothing in the picture is
  brighter than 8 % of full scale". Black spray with high-gain noise stays under about 12 (3 of
  the test's sprayed frames); a camera's auto-exposure lifts a dim scene toward mid-grey, and
  the test entrance at a fifth of the light without a lamp still reaches 31, with a mean of 23
  (the mean alone would call night scenes blind, so it is not the test).
- ``blind_s`` 20 and ``frozen_s`` 30: a person standing close in front of the lens, a light
  switched off then on, a camera's day/night switch (a second or two of black), or an H.264
  stream of a still scene that repeats a decoded picture until its next key frame (every 1-10
  s) must not raise the officer's alarm; a real cover lasts longer.
- ``recover_s`` 5: a cover lifted for a moment is not a camera back; a few seconds of good
  pictures are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

OK, BLIND, FROZEN = "ok", "blind", "frozen"


@dataclass(frozen=True)
class TamperRules:
    every_s: float = 0.5  # a look at most this often (seconds of the injected clock)
    flat_spread: float = 2.5  # below this standard deviation the picture is uniform
    dark_bright: float = 20.0  # below this 99th percentile the picture is dark
    blind_s: float = 20.0
    frozen_s: float = 30.0
    recover_s: float = 5.0

    def scaled(self, k: float) -> TamperRules:
        """The hold times times ``k`` (a test's short watchdog makes them short)."""
        return replace(
            self, blind_s=self.blind_s * k, frozen_s=self.frozen_s * k, recover_s=self.recover_s * k
        )


@dataclass(frozen=True)
class Look:
    """What one small grey picture showed."""

    mean: float
    spread: float  # standard deviation of the grey levels
    bright: float  # 99th percentile of the grey levels
    same: bool  # identical, pixel for pixel, to the previous look's picture


@dataclass(frozen=True)
class Verdict:
    state: str  # OK, BLIND or FROZEN
    since: float  # when the bad (or good) run began, on the injected clock
    detail: str


def look(grey: np.ndarray, previous: np.ndarray | None) -> Look:
    """The statistics of one small grey picture (4,800 pixels: tens of microseconds)."""
    same = previous is not None and previous.shape == grey.shape and np.array_equal(grey, previous)
    flat = grey.ravel()
    k = (flat.size - 1) * 99 // 100
    # np.partition, not np.percentile: the same order statistic (nearest rank, no
    # interpolation) at about a twentieth of the cost.
    bright = float(np.partition(flat, k)[k])
    return Look(float(flat.mean()), float(flat.std()), bright, bool(same))


class TamperJudge:
    """One camera's judgement. ``see`` runs on the camera's reader thread; ``verdict`` is one
    immutable value, replaced whole, so another thread may read it at any time."""

    def __init__(
        self,
        rules: TamperRules,
        monotonic: Callable[[], float],
        frozen_too: bool = True,
    ) -> None:
        self.rules = rules
        self._now = monotonic
        # A replay of photos repeats them by design; only a live stream can freeze.
        self.frozen_too = frozen_too
        self._prev: np.ndarray | None = None
        self._last = float("-inf")
        self._bad: str | None = None  # the kind of the current bad run
        self._bad_since = 0.0
        self._good_since: float | None = None
        self.verdict = Verdict(OK, monotonic(), "")
        self.last: Look | None = None

    def due(self) -> bool:
        """Is a look due? Checked per frame before anything is computed."""
        return self._now() - self._last >= self.rules.every_s

    def see(self, grey: np.ndarray) -> Verdict:
        r = self.rules
        now = self._last = self._now()
        lk = self.last = look(grey, self._prev)
        self._prev = grey
        bad = None
        if lk.spread < r.flat_spread or lk.bright < r.dark_bright:
            bad = BLIND
        elif lk.same and self.frozen_too:
            bad = FROZEN
        state = self.verdict.state
        if bad is None:
            self._bad = None
            if self._good_since is None:
                self._good_since = now
            if state != OK and now - self._good_since >= r.recover_s:
                self.verdict = Verdict(OK, self._good_since, "")
            return self.verdict
        self._good_since = None
        if bad != self._bad:
            self._bad, self._bad_since = bad, now
        held = now - self._bad_since
        if state != bad and held >= (r.blind_s if bad == BLIND else r.frozen_s):
            self.verdict = Verdict(bad, self._bad_since, _detail(bad, lk, held))
        return self.verdict


def _detail(bad: str, lk: Look, held: float) -> str:
    if bad == BLIND:
        return (
            f"dark or uniform picture for {held:.0f} s (mean {lk.mean:.0f}, "
            f"spread {lk.spread:.1f}, brightest {lk.bright:.0f} of 255)"
        )
    return f"the very same picture for {held:.0f} s"
