"""A look-up painted on a still photo: the face warped as a head tilting back (68 landmarks).

A still photo shows the head in one pose. To make it look up, each landmark is given a depth
from a generic head shape, the points are turned about the head's horizontal axis by a pitch
angle (the head tilting back), projected back onto the image (orthographically: at a door the
camera is several face heights away), and the photo is warped piecewise-affinely over a
triangulation of the landmarks, a few forehead points and a fixed frame around the face. The
nose, standing out of the face, rises against the eyes; the jaw outline, set back, moves less;
the face bends out of its plane as a head does, not as a tilted picture.

The head shape is an ellipsoid over the jaw's width with a nose on it. Its proportions follow
the generic six-point 3D face used for head-pose estimation from 68 landmarks (the model in
OpenCV's ``solvePnP`` head-pose examples: nose tip at 0, outer eye corners 135 and mouth corners
125 units behind it, eye corners 450 units apart): with the ellipsoid as deep as 0.77 of the
jaw's half width and a nose standing 0.2 of it proud of the ellipsoid, the eye corners come
about 135 of those units behind the nose tip and the mouth corners about 120.

The benchmark's responder (the genuine side's stand-in) uses it where none of a resident's
photos shows a look-up, as it paints blinks (devkit/face_blink.py). Anyone holding a resident's
photos can do exactly the same: a 2D colour camera cannot tell a painted nod from a real one
(docs/face.md). Numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

JAW = slice(0, 17)
NOSE_TIP = 30
# How far each nose point stands proud of the ellipsoid, in the jaw's half width: the bridge
# rising from the eyes to the tip, the nostrils and the base of the nose less than the tip.
NOSE = {27: 0.04, 28: 0.08, 29: 0.13, 30: 0.20, 31: 0.07, 32: 0.10, 33: 0.13, 34: 0.10, 35: 0.07}
DEPTH = 0.77  # the ellipsoid's depth, in the jaw's half width
# The chin stands a little proud of the ellipsoid too (the jaw outline's points 7, 8, 9).
CHIN = {7: 0.05, 8: 0.08, 9: 0.05}
# Where the head turns: at the depth of the jaw's outline (about the ears) and at the height
# of the nose tip, near the joint of the skull on the spine; the face rises as it tilts back.
PIVOT_DEPTH = 0.0


def _frame(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin, across, down): the eyes' midpoint (from the corners) and the face's own axes."""
    le, re = (lm[36] + lm[39]) / 2, (lm[42] + lm[45]) / 2
    ux = (re - le) / (float(np.linalg.norm(re - le)) or 1.0)
    return (le + re) / 2, ux, np.array([-ux[1], ux[0]])


def forehead(lm: np.ndarray) -> np.ndarray:
    """Points above the brows (the forehead moves with the head; without them the warp would
    stretch the brows' edge only)."""
    o, ux, uy = _frame(lm)
    brow_to_nose = float((lm[NOSE_TIP] - o) @ uy)
    return np.array([lm[i] - 0.7 * brow_to_nose * uy for i in (17, 19, 21, 22, 24, 26)])


def depths(points: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """Each point's depth (towards the camera) from the generic head shape, in pixels."""
    o, ux, uy = _frame(lm)
    q = np.stack([(points - o) @ ux, (points - o) @ uy], axis=1)
    jaw = np.stack([(lm[JAW] - o) @ ux, (lm[JAW] - o) @ uy], axis=1)
    a = (jaw[:, 0].max() - jaw[:, 0].min()) / 2  # the jaw's half width
    cu = (jaw[:, 0].max() + jaw[:, 0].min()) / 2
    chin = jaw[8, 1]
    brows = float(((lm[17:27] - o) @ uy).mean())
    # the ellipse spans from well above the brows (the skull) to below the chin: the chin sits
    # at 0.7 of its half height, where the face's front has clearly turned down
    b = (chin - brows) / 1.2
    cv = chin - 0.7 * b
    r2 = ((q[:, 0] - cu) / a) ** 2 + ((q[:, 1] - cv) / b) ** 2
    return DEPTH * a * np.sqrt(np.clip(1 - r2, 0.0, None))


def landmark_depths(lm: np.ndarray) -> np.ndarray:
    """Depths of the 68 landmarks and the forehead points, nose and chin added."""
    pts = np.vstack([lm, forehead(lm)])
    z = depths(pts, lm)
    jaw = lm[JAW]
    a = float(np.linalg.norm(jaw[-1] - jaw[0])) / 2
    for i, k in NOSE.items():
        z[i] += k * a
    for i, k in CHIN.items():
        z[i] += k * a
    return z


def tilt(lm: np.ndarray, degrees: float) -> np.ndarray:
    """Where the 68 landmarks and the forehead points go when the head tilts back by
    ``degrees`` (looking up), in image pixels."""
    p = np.asarray(lm, dtype=np.float64)
    pts = np.vstack([p, forehead(p)])
    z = landmark_depths(p)
    o, ux, uy = _frame(p)
    u, v = (pts - o) @ ux, (pts - o) @ uy
    vp = float((p[NOSE_TIP] - o) @ uy)
    t = math.radians(degrees)
    # about the face's horizontal axis through (v = vp, z = PIVOT_DEPTH): v down, z towards
    # the camera; tilting back takes the nose up and the forehead away
    v2 = vp + (v - vp) * math.cos(t) - (z - PIVOT_DEPTH) * math.sin(t)
    return o + u[:, None] * ux + v2[:, None] * uy


def delaunay(points: np.ndarray) -> list[tuple[int, int, int]]:
    """Delaunay triangles of ``points`` (Bowyer-Watson; a hundred points, pure Python)."""
    pts = [tuple(map(float, p)) for p in points]
    lo, hi = np.min(points, axis=0), np.max(points, axis=0)
    span = float(max(hi - lo)) * 20 + 1
    mid = (lo + hi) / 2
    n = len(pts)
    pts += [
        (mid[0] - span, mid[1] - span),
        (mid[0] + span, mid[1] - span),
        (mid[0], mid[1] + span),
    ]

    def circle(t: tuple[int, int, int]) -> tuple[float, float, float]:
        (ax, ay), (bx, by), (cx, cy) = (pts[i] for i in t)
        d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
        if d == 0:
            return 0.0, 0.0, math.inf
        a2, b2, c2 = ax * ax + ay * ay, bx * bx + by * by, cx * cx + cy * cy
        x = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d
        y = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d
        return x, y, (ax - x) ** 2 + (ay - y) ** 2

    tris = {(n, n + 1, n + 2): circle((n, n + 1, n + 2))}
    for i in range(n):
        px, py = pts[i]
        bad = [t for t, (x, y, r2) in tris.items() if (px - x) ** 2 + (py - y) ** 2 < r2]
        edges: dict[tuple[int, int], int] = {}
        for t in bad:
            for e in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])):
                k = (min(e), max(e))
                edges[k] = edges.get(k, 0) + 1
            del tris[t]
        for (a, b), count in edges.items():
            if count == 1:
                t = (a, b, i)
                tris[t] = circle(t)
    return [t for t in tris if max(t) < n]


def _area(p: np.ndarray, t: tuple[int, int, int]) -> float:
    a, b, c = p[list(t)]
    return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))


def warp(
    frame: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    box: tuple[int, int, int, int],
    triangles: Sequence[tuple[int, int, int]],
) -> np.ndarray:
    """``frame`` with each triangle of ``src`` moved to its place in ``dst``, inside ``box``
    (left, top, right, bottom; its points must be among both, unmoved). Each output pixel is
    sampled bilinearly where its triangle's affine map takes it back to in ``frame``."""
    left, top, right, bottom = box
    ys, xs = np.mgrid[top:bottom, left:right].astype(np.float64)
    sx, sy = xs.copy(), ys.copy()
    done = np.zeros(xs.shape, dtype=bool)
    for t in triangles:
        d, s = dst[list(t)], src[list(t)]
        m = np.array(
            [[d[1, 0] - d[0, 0], d[2, 0] - d[0, 0]], [d[1, 1] - d[0, 1], d[2, 1] - d[0, 1]]]
        )
        det = float(np.linalg.det(m))
        if abs(det) < 1e-9:
            continue
        x0, y0 = int(max(left, math.floor(d[:, 0].min()))), int(max(top, math.floor(d[:, 1].min())))
        x1 = int(min(right, math.ceil(d[:, 0].max()) + 1))
        y1 = int(min(bottom, math.ceil(d[:, 1].max()) + 1))
        if x1 <= x0 or y1 <= y0:
            continue
        sl = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
        px, py = xs[sl] - d[0, 0], ys[sl] - d[0, 1]
        inv = np.linalg.inv(m)
        b1 = inv[0, 0] * px + inv[0, 1] * py
        b2 = inv[1, 0] * px + inv[1, 1] * py
        inside = (b1 >= -1e-6) & (b2 >= -1e-6) & (b1 + b2 <= 1 + 1e-6) & ~done[sl]
        sx[sl] = np.where(
            inside, s[0, 0] + b1 * (s[1, 0] - s[0, 0]) + b2 * (s[2, 0] - s[0, 0]), sx[sl]
        )
        sy[sl] = np.where(
            inside, s[0, 1] + b1 * (s[1, 1] - s[0, 1]) + b2 * (s[2, 1] - s[0, 1]), sy[sl]
        )
        done[sl] |= inside
    out = frame.copy()
    out[top:bottom, left:right] = _bilinear(frame, sx, sy)
    return out


def _bilinear(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    x = np.clip(x, 0, w - 1.001)
    y = np.clip(y, 0, h - 1.001)
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    f = img.astype(np.float64)
    top = f[y0, x0] * (1 - fx) + f[y0, x0 + 1] * fx
    bot = f[y0 + 1, x0] * (1 - fx) + f[y0 + 1, x0 + 1] * fx
    return np.clip(top * (1 - fy) + bot * fy + 0.5, 0, 255).astype(img.dtype)


def _border(lm: np.ndarray, shape: tuple[int, ...]) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """A frame around the face, 0.9 face widths beyond it, clipped to the image; points along
    its edges stay where they are."""
    h, w = shape[:2]
    lo, hi = lm.min(axis=0), lm.max(axis=0)
    pad = 0.9 * float(hi[0] - lo[0])
    left, top = int(max(0, lo[0] - pad)), int(max(0, lo[1] - 1.3 * pad))
    right, bottom = int(min(w, hi[0] + pad)), int(min(h, hi[1] + pad))
    edge = []
    for k in np.linspace(0, 1, 5):
        x = left + k * (right - 1 - left)
        y = top + k * (bottom - 1 - top)
        edge += [(x, top), (x, bottom - 1), (left, y), (right - 1, y)]
    return (left, top, right, bottom), np.unique(np.array(edge, dtype=np.float64), axis=0)


def nod(frame: np.ndarray, landmarks: np.ndarray, degrees: float) -> np.ndarray:
    """A copy of ``frame`` with the face tilted back (looking up) by ``degrees``."""
    return nod_frames(frame, landmarks, [degrees])[0]


def nod_frames(
    frame: np.ndarray, landmarks: np.ndarray, degrees: Sequence[float]
) -> list[np.ndarray]:
    """The face looking up by each of ``degrees`` in turn (one triangulation for all)."""
    p = np.asarray(landmarks, dtype=np.float64)
    box, edge = _border(p, frame.shape)
    src = np.vstack([p, forehead(p), edge])
    tris = delaunay(src)
    out = []
    for deg in degrees:
        dst = np.vstack([tilt(p, deg), edge])
        flipped = sum(_area(src, t) * _area(dst, t) <= 0 for t in tris)
        if flipped:  # a fold: more than a head can turn on this shape
            raise ValueError(f"a nod of {deg}° folds {flipped} triangles of this face")
        out.append(warp(frame, src, dst, box, tris))
    return out


def look_up(
    frame: np.ndarray, landmarks: np.ndarray, top: float = 24.0, steps: int = 4
) -> list[np.ndarray]:
    """A nod up at 8 frames a second: ``steps`` frames tilting back to ``top`` degrees (a
    person asked to look up tilts the head by 20-30° within half a second or so)."""
    return nod_frames(frame, landmarks, [top * (k + 1) / steps for k in range(steps)])
