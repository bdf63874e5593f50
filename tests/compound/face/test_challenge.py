"""The challenge judged from synthetic landmarks: a head turns out of its plane, a photo
turned in front of the camera moves as a plane, a wrong move fails the attempt, two blinks
pass, and nothing passes after the window."""

from __future__ import annotations

import numpy as np

from compound.domain.face.challenge import (
    Challenge,
    ChallengeCheck,
    ChallengeDealer,
    ChallengeRules,
    aligned_patch,
    head_pose,
    planar_residual,
    similarity,
)
from tests.compound.face.test_liveness import _face


def _head(yaw_deg: float, eye_open: float = 0.3) -> np.ndarray:
    """68 points of a face with depth: the nose and the middle stand out, the sides recede, so
    a turn moves the nose against the cheeks as a real head does."""
    flat = _face(eye_open)
    # the nose: a ridge down from between the eyes to its tip (30), then the nostrils
    flat[27:31] = [[50, 55], [50, 60], [50, 65], [50, 70]]
    flat[31:36] = [[44, 72], [47, 73], [50, 73], [53, 73], [56, 72]]
    x = flat[:, 0] - 50.0
    depth = 10.0 * np.exp(-((x / 30.0) ** 2))  # the middle of the face nearest the camera
    depth[27:36] += 10.0  # the nose: half the eye distance in front, as on a real face
    a = np.radians(yaw_deg)
    out = flat.copy()
    out[:, 0] = 50.0 + x * np.cos(a) + depth * np.sin(a)
    return out


def _check(kind: str, base: np.ndarray, window: float = 6.0) -> ChallengeCheck:
    return ChallengeCheck(Challenge("c1", kind, 0.0, window), base, ChallengeRules())


def test_a_head_turn_passes_the_asked_direction_only() -> None:
    """Turning to the left moves the nose to the camera's right; the other way fails."""
    assert head_pose(_head(25))[0] > head_pose(_head(0))[0] + 0.12
    left = _check("turn_left", _head(0))
    assert left.add(0.5, _head(10)) == "waiting"
    assert left.add(1.0, _head(30)) == "passed"
    right = _check("turn_right", _head(0))
    assert right.add(1.0, _head(30)) == "failed" and right.reason == "turned the other way"


def test_a_picture_turned_as_a_plane_is_refused() -> None:
    """A photo sheared or turned in front of the camera: the nose moves, but every point moves
    by one affine map, which no head turn does."""
    base = _head(0)
    shear = np.array([[1.0, 0.35], [0.0, 1.0]])
    moved = (base - base.mean(axis=0)) @ shear.T + base.mean(axis=0) + [3.0, 1.0]
    assert planar_residual(base, moved) < 1e-6
    assert planar_residual(base, _head(30)) >= ChallengeRules().min_nonplanar
    c = _check("turn_left", base)
    assert head_pose(moved)[0] - head_pose(base)[0] >= 0.12  # it looks like a turn to the left
    assert c.add(1.0, moved) == "failed" and c.reason == "moved as a flat picture"


def test_two_blinks_pass_and_one_does_not() -> None:
    """Counted after the prompt could be read: a blink at once is not an answer."""
    c = _check("blink_twice", _head(0, 0.3))
    seq = [0.3, 0.1, 0.3]
    assert [c.add(0.1 * i, _head(0, e)) for i, e in enumerate(seq)][-1] == "waiting"
    assert [c.add(0.5 + 0.1 * i, _head(0, e)) for i, e in enumerate(seq)][-1] == "waiting"
    assert [c.add(1 + 0.1 * i, _head(0, e)) for i, e in enumerate(seq)][-1] == "passed"


def test_a_face_already_moving_when_asked_fails() -> None:
    """Nobody reads a prompt and turns within 0.4 s: a clip that was turning anyway."""
    c = _check("turn_left", _head(0))
    assert c.add(0.2, _head(12)) == "failed" and c.reason == "moved before the prompt could be read"
    blink = _check("blink_twice", _head(0))
    assert blink.add(0.6, _head(12)) == "failed"  # half a turn when asked to blink


def test_nothing_passes_after_the_window() -> None:
    c = _check("turn_left", _head(0), window=2.0)
    assert c.add(2.5, _head(30)) == "failed" and c.reason == "no answer in time"


def test_the_dealer_draws_with_the_injected_choice() -> None:
    """The draw is the box's secure random choice; here a fixed one proves it is used."""
    d = ChallengeDealer(ChallengeRules(window_s=4.0), lambda kinds: kinds[-1], lambda: "abc")
    check = d.deal(10.0, _head(0))
    assert check.challenge.kind == "blink_twice" and check.challenge.expires_at == 14.0
    assert check.challenge.as_dict()["zh"] == "请眨眼两次"


def test_aligned_patches_follow_the_face() -> None:
    """The same picture a few pixels on is alike; another picture is not."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)
    lm = _face(0.3) + 50
    moved = np.roll(img, 3, axis=1)
    assert similarity(aligned_patch(img, lm), aligned_patch(moved, lm + [3, 0])) > 0.99
    other = rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)
    assert similarity(aligned_patch(img, lm), aligned_patch(other, lm)) < 0.5


def test_blinks_of_a_picture_moved_about_do_not_count() -> None:
    """A photo moved in front of the camera: its landmarks jitter as if it blinked, but a
    person asked to blink holds still."""
    c = _check("blink_twice", _head(0, 0.3))
    states = [c.add(0.5 + 0.1 * i, _head(0, e) + [8.0 * i, 0]) for i, e in enumerate([0.3, 0.1])]
    assert states[-1] == "failed" and c.reason == "moved instead of blinking"
