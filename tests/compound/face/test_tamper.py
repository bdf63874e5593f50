"""A face camera that delivers frames but sees nothing is judged ``blind`` or ``frozen`` after
a hold, and ``ok`` again after a shorter run of good pictures; a dim, noisy night scene is not
blind. Pure: frames made with numpy, the clock moved by hand, nothing sleeps."""

from __future__ import annotations

import numpy as np

from compound.domain.face.motion import small_grey
from compound.domain.face.tamper import BLIND, FROZEN, OK, TamperJudge, TamperRules, look
from devkit import face_clips

RULES = TamperRules()  # 20 s blind, 30 s frozen, 5 s back, a look each 0.5 s


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def noisy(frame: np.ndarray, rng: np.random.Generator, level: int) -> np.ndarray:
    return face_clips.noisy(frame, rng, level)


DAY = face_clips.background()
NIGHT = (DAY.astype(np.float32) * 0.2).astype(np.uint8)


def night(rng: np.random.Generator, lamp: bool = True) -> np.ndarray:
    """The entrance at night: a fifth of the day's light, high-gain noise, and a lamp."""
    dark = NIGHT.copy()
    if lamp:
        dark[40:90, 300:340] = 180
    return noisy(dark, rng, 6)


def black(rng: np.random.Generator) -> np.ndarray:
    """Sprayed black: the sensor's noise and nothing else."""
    return noisy(np.zeros((480, 640, 3), np.uint8), rng, 3)


def run(judge: TamperJudge, clock: Clock, frames: list[np.ndarray], step: float = 0.5) -> str:
    """Each frame a look apart; the verdict after the last."""
    for f in frames:
        assert judge.due()
        judge.see(small_grey(f, 80))
        clock.t += step
    return judge.verdict.state


def test_a_dim_noisy_night_scene_stays_ok() -> None:
    rng = np.random.default_rng(1)
    clock = Clock()
    judge = TamperJudge(RULES, clock)
    assert run(judge, clock, [night(rng) for _ in range(100)]) == OK  # 50 s
    assert judge.last is not None and judge.last.mean < 40  # it is dark all the same
    # Even with no lamp in the picture: the wall's shading and the noise are not uniform.
    assert run(judge, clock, [night(rng, lamp=False) for _ in range(100)]) == OK
    assert judge.last is not None and judge.last.mean < 25


def test_black_frames_are_blind_after_the_hold_not_before() -> None:
    rng = np.random.default_rng(2)
    clock = Clock()
    judge = TamperJudge(RULES, clock)
    run(judge, clock, face_clips.empty(10))
    start = clock.t
    assert run(judge, clock, [black(rng) for _ in range(40)]) == OK  # 19.5 s after the first
    judge.see(small_grey(black(rng), 80))  # 20 s
    v = judge.verdict
    assert v.state == BLIND and v.since == start
    assert v.detail.startswith("dark or uniform picture for 20 s"), v.detail


def test_a_uniform_cover_of_any_colour_is_blind() -> None:
    """Tape or a hand over the lens: bright, but flat."""
    rng = np.random.default_rng(3)
    clock = Clock()
    judge = TamperJudge(RULES, clock)
    grey_tape = np.full((480, 640, 3), (170, 150, 140), np.uint8)
    assert run(judge, clock, [noisy(grey_tape, rng, 2) for _ in range(42)]) == BLIND
    assert judge.last is not None and judge.last.mean > 100


def test_a_short_dark_moment_is_not_blind() -> None:
    """A person close to the lens, a day/night switch: black for 10 s, then the scene."""
    rng = np.random.default_rng(4)
    clock = Clock()
    judge = TamperJudge(RULES, clock)
    frames = [black(rng) for _ in range(20)] + face_clips.empty(4)
    frames += [black(rng) for _ in range(30)]  # the run of black starts again from nothing
    assert run(judge, clock, frames) == OK


def test_the_same_picture_again_and_again_is_frozen() -> None:
    clock = Clock()
    judge = TamperJudge(RULES, clock)
    still = face_clips.empty(1)[0]
    assert run(judge, clock, face_clips.empty(10, seed=5)) == OK
    # The first still is new; the 60 after it are the same as it for 29.5 s.
    assert run(judge, clock, [still.copy() for _ in range(61)]) == OK
    judge.see(small_grey(still.copy(), 80))
    assert judge.verdict.state == FROZEN
    assert judge.verdict.detail == "the very same picture for 30 s"


def test_a_replay_repeats_its_photos_without_being_frozen() -> None:
    clock = Clock()
    judge = TamperJudge(RULES, clock, frozen_too=False)
    still = face_clips.empty(1)[0]
    assert run(judge, clock, [still] * 200) == OK


def test_recovery_after_a_steady_good_run_only() -> None:
    rng = np.random.default_rng(6)
    clock = Clock()
    judge = TamperJudge(RULES, clock)
    assert run(judge, clock, [black(rng) for _ in range(41)]) == BLIND
    # A cover lifted for 2 s and put back is not a camera back.
    assert run(judge, clock, face_clips.empty(4) + [black(rng)]) == BLIND
    back = clock.t
    assert run(judge, clock, face_clips.empty(10, seed=7)) == BLIND  # 4.5 s of good pictures
    judge.see(small_grey(face_clips.empty(1, seed=8)[0], 80))  # 5 s
    assert judge.verdict.state == OK and judge.verdict.since == back


def test_a_look_is_due_at_most_every_half_second() -> None:
    clock = Clock()
    judge = TamperJudge(RULES, clock)
    assert judge.due()
    judge.see(small_grey(face_clips.empty(1)[0], 80))
    clock.t += 0.4
    assert not judge.due()
    clock.t += 0.1
    assert judge.due()


def test_the_statistics_of_one_picture() -> None:
    flat = np.full((60, 80), 7.0, np.float32)
    lk = look(flat, flat.copy())
    assert (lk.mean, lk.spread, lk.bright, lk.same) == (7.0, 0.0, 7.0, True)
    assert not look(flat, None).same
    assert not look(flat, np.full((30, 40), 7.0, np.float32)).same


def test_scaled_hold_times() -> None:
    r = TamperRules().scaled(0.2)
    assert (r.blind_s, r.frozen_s, r.recover_s, r.every_s) == (4.0, 6.0, 1.0, 0.5)
