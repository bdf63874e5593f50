"""The painted look-up (devkit/face_nod.py): the warp itself on synthetic points, and on a real
photo the landmarks dlib finds in the warped frame read as a look-up by the challenge's judge."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from compound.domain.face.challenge import ChallengeRules, head_pose, planar_residual
from devkit import face_clips, face_nod
from devkit.env import FACES

if TYPE_CHECKING:
    from compound.adapters.recognizer import DlibRecognizer


def _hull_area(points: np.ndarray) -> float:
    """Area of the convex hull (monotone chain, shoelace)."""
    pts = sorted(map(tuple, points))

    def half(seq: list[tuple[float, float]]) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for p in seq:
            while len(out) >= 2:
                (ax, ay), (bx, by) = out[-2], out[-1]
                if (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) > 0:
                    break
                out.pop()
            out.append(p)
        return out

    hull = np.array(half(pts)[:-1] + half(pts[::-1])[:-1])
    x, y = hull[:, 0], hull[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def test_delaunay_tiles_the_hull_without_overlap() -> None:
    rng = np.random.default_rng(4)
    pts = rng.uniform(0, 100, (60, 2))
    tris = face_nod.delaunay(pts)
    areas = [abs(face_nod._area(pts, t)) / 2 for t in tris]
    assert min(areas) > 0
    assert sum(areas) == pytest.approx(_hull_area(pts), rel=1e-9)
    # Delaunay: no point inside any triangle's circumcircle (Euler: 2n - 2 - hull points)
    for t in tris:
        a, b, c = pts[list(t)]
        m = np.array([[*(a - c), (a - c) @ (a + c) / 2], [*(b - c), (b - c) @ (b + c) / 2]])
        centre = np.linalg.solve(m[:, :2], m[:, 2])
        r = np.linalg.norm(a - centre)
        others = np.delete(pts, list(t), axis=0)
        assert np.linalg.norm(others - centre, axis=1).min() >= r - 1e-6


def test_warp_moves_a_triangle_as_asked_and_leaves_the_rest() -> None:
    frame = np.zeros((60, 60, 3), dtype=np.uint8)
    frame[20:30, 20:30] = 200  # a bright square
    corners = np.array([[0, 0], [59, 0], [0, 59], [59, 59]], dtype=np.float64)
    centre = np.array([[25.0, 25.0]])
    src = np.vstack([corners, centre])
    tris = face_nod.delaunay(src)
    same = face_nod.warp(frame, src, src, (0, 0, 60, 60), tris)
    assert np.abs(same.astype(int) - frame.astype(int)).max() <= 1
    # the centre pulled up by 10 px: the square goes up with it, the frame's edge stays
    dst = np.vstack([corners, centre - [0, 10]])
    moved = face_nod.warp(frame, src, dst, (0, 0, 60, 60), tris)
    rows = np.nonzero(moved[:, 25, 0] > 100)[0]
    assert rows.min() < 15 and rows.max() < 25
    assert (moved[0] == frame[0]).all() and (moved[59] == frame[59]).all()


def test_the_model_nod_raises_the_nose_and_keeps_the_eyes_level() -> None:
    # a frontal face's landmarks, from the mean face of dlib's 68 points (roughly)
    lm = _frontal()
    r = ChallengeRules()
    yaw0, pitch0 = head_pose(lm)
    assert np.allclose(face_nod.tilt(lm, 0)[:68], lm)
    moved = face_nod.tilt(lm, 20)[:68]
    yaw, pitch = head_pose(moved)
    assert (pitch0 - pitch) / r.look_up >= 1.5
    assert abs(yaw - yaw0) / r.turn < 0.1
    assert abs(moved[45, 1] - moved[36, 1]) < 0.5  # the eye corners stay level
    assert planar_residual(lm, moved) >= r.min_nonplanar  # bent as a head, not a tilted card


def _frontal() -> np.ndarray:
    """68 points of a synthetic frontal face in dlib's order, 66 px between the eye centres."""
    # the jaw from the face's right ear (image left) round the chin to its left ear
    t = np.linspace(np.pi, 0, 17)
    jaw = np.stack([75 * np.cos(t), 120 * np.sin(t)], axis=1)
    bx = np.concatenate([np.linspace(-62, -12, 5), np.linspace(12, 62, 5)])
    brows = np.stack([bx, -25 - 6 * np.cos(bx / 40)], axis=1)
    nose = [(0, -5), (0, 8), (0, 21), (0, 34), (-14, 44), (-7, 46), (0, 48), (7, 46), (14, 44)]

    def eye(cx: float) -> list[tuple[float, float]]:
        return [(cx - 17, 0), (cx - 6, -7), (cx + 6, -7), (cx + 17, 0), (cx + 6, 6), (cx - 6, 6)]

    def ring(n: int, w: float, h: float) -> np.ndarray:
        u = np.linspace(np.pi, -np.pi, n, endpoint=False)
        return np.stack([w * np.cos(u), 78 + h * np.sin(u)], axis=1)

    pts = np.vstack([jaw, brows, nose, eye(-33), eye(33), ring(12, 40, 12), ring(8, 30, 4)])
    assert pts.shape == (68, 2)
    return pts + [320, 200]


@pytest.fixture(scope="module")
def dlib_rec() -> DlibRecognizer:
    if not FACES.exists():
        pytest.skip(f"test photos missing at {FACES}")
    from compound.adapters.recognizer import DlibRecognizer  # dlib loads only for this test

    return DlibRecognizer()


def test_dlib_reads_the_painted_nod_as_a_look_up(dlib_rec: DlibRecognizer) -> None:
    r = ChallengeRules()
    photo = face_clips.load([sorted((FACES / "John_Savage").glob("*.jpg"))[0]])[0]
    frame = face_clips.place(photo, face_clips.background())
    lm = dlib_rec.landmarks(frame, dlib_rec.detect(frame)[0])
    flat, up = face_nod.nod_frames(frame, lm, [0.0, 20.0])

    def seen(f: np.ndarray) -> np.ndarray:
        boxes = dlib_rec.detect(f)
        assert len(boxes) == 1
        return np.asarray(dlib_rec.landmarks(f, boxes[0]), dtype=np.float64)

    yaw0, pitch0 = head_pose(lm)
    still = seen(flat)
    assert abs(head_pose(still)[1] - pitch0) / r.look_up < 0.25  # no nod: no look-up
    nodded = seen(up)
    yaw, pitch = head_pose(nodded)
    assert (pitch0 - pitch) / r.look_up >= 1.3  # the nose rose against the eyes: a look-up
    assert abs(yaw - yaw0) / r.turn < 0.5  # and not a turn
    slope0 = (lm[45, 1] - lm[36, 1]) / (lm[45, 0] - lm[36, 0])
    slope = (nodded[45, 1] - nodded[36, 1]) / (nodded[45, 0] - nodded[36, 0])
    assert abs(slope - slope0) < 0.05  # the eye corners stay level
    assert planar_residual(lm, nodded) >= r.min_nonplanar  # out of the face's plane
