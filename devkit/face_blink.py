"""Blinks drawn on still photos: the eyelids painted over the eyes from the 68 landmarks.

A still photo of a resident has the eyes as they were at that moment. To make a face blink,
each eye's upper lid is drawn down over it: skin of the tone sampled just above the eye
(between the eye and the brow), a darker lid and lash line along the lid's edge, feathered
into the photo. ``closed(frame, landmarks, 1.0)`` is the eye shut, 0.5 half shut; a blink is
open, half, shut, half, open.

The benchmark's responder (the genuine side's stand-in) blinks this way, and so does its
strongest replay. Anyone holding a resident's photos and an image editor can do exactly the
same: a 2D colour camera cannot tell a painted blink from a real one (docs/face.md).
Numpy only.
"""

from __future__ import annotations

import numpy as np

LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)
LEFT_BROW = slice(17, 22)
RIGHT_BROW = slice(22, 27)
LASH = 0.18  # the lid and lash line's half width, in eye widths
DARK = 0.9  # how much darker than the skin the lash line is


def _skin_above(img: np.ndarray, eye: np.ndarray, brow: np.ndarray) -> np.ndarray:
    """The median colour of the band between the eye's upper lid and its brow."""
    h, w = img.shape[:2]
    x0, x1 = int(eye[:, 0].min()), int(eye[:, 0].max()) + 1
    lid = float(eye[1:3, 1].min())
    top = float(brow[:, 1].mean())
    y0 = int(round(top + 0.45 * (lid - top)))
    y1 = int(round(top + 0.8 * (lid - top))) + 1
    y0, y1 = max(0, min(y0, h - 1)), max(1, min(y1, h))
    x0, x1 = max(0, x0), min(w, max(x1, x0 + 1))
    band = img[y0 : max(y1, y0 + 1), x0:x1].reshape(-1, img.shape[2])
    return np.median(band, axis=0).astype(np.float64)


def _lid(img: np.ndarray, eye: np.ndarray, brow: np.ndarray, amount: float) -> None:
    """Draw one eye's upper lid ``amount`` of the way down (in place)."""
    skin = _skin_above(img, eye, brow)
    # Corners, upper lid (p1, p2) and lower lid (p5, p4), from the outer corner inwards.
    c0, c3 = eye[0], eye[3]
    upper = np.array([c0, eye[1], eye[2], c3])
    lower = np.array([c0, eye[5], eye[4], c3])
    width = float(np.linalg.norm(c3 - c0)) or 1.0
    x_left, x_right = min(c0[0], c3[0]), max(c0[0], c3[0])
    pad = 0.12 * width
    xs = np.arange(int(np.floor(x_left - pad)), int(np.ceil(x_right + pad)) + 1)
    h, w = img.shape[:2]
    xs = xs[(xs >= 0) & (xs < w)]
    order_u = np.argsort(upper[:, 0])
    order_l = np.argsort(lower[:, 0])
    xc = np.clip(xs, x_left, x_right)
    y_up = np.interp(xc, upper[order_u, 0], upper[order_u, 1])
    y_lo = np.interp(xc, lower[order_l, 0], lower[order_l, 1])
    # the lid's new edge: the upper lid moved towards the lower one
    y_edge = y_up + amount * (y_lo - y_up)
    top = y_up - 0.18 * width  # the lid's fold above the eye is covered too
    line = max(1.5, LASH * width)
    out = img.astype(np.float64)
    for i, x in enumerate(xs):
        # fade out beyond the corners
        edge_fade = 1.0
        if x < x_left:
            edge_fade = max(0.0, 1 - (x_left - x) / pad)
        elif x > x_right:
            edge_fade = max(0.0, 1 - (x - x_right) / pad)
        y0 = int(np.floor(top[i] - 2))
        y1 = int(np.ceil(y_edge[i] + line + 2))
        for y in range(max(0, y0), min(h, y1 + 1)):
            # cover: 1 inside [top, edge], feathered over a pixel at either end
            a = min(1.0, max(0.0, y - top[i] + 1.0)) * min(1.0, max(0.0, y_edge[i] - y + 1.0))
            # the lash line: a dark band along the lid's edge
            d = abs(y - y_edge[i])
            dark = max(0.0, 1 - d / line) if amount > 0.05 else 0.0
            # the lid darkens a little towards its edge
            depth = (y - top[i]) / max(1.0, y_edge[i] - top[i])
            tone = skin * (1.0 - 0.12 * min(1.0, max(0.0, depth)))
            colour = tone * (1 - DARK * dark)
            cover = max(a, dark) * edge_fade
            out[y, x] = (1 - cover) * out[y, x] + cover * colour
    img[...] = np.clip(out, 0, 255).astype(img.dtype)


def closed(frame: np.ndarray, landmarks: np.ndarray, amount: float = 1.0) -> np.ndarray:
    """A copy of ``frame`` with both eyes' lids drawn ``amount`` (0 open .. 1 shut) down."""
    p = np.asarray(landmarks, dtype=np.float64)
    out = frame.copy()
    if amount <= 0:
        return out
    for eye, brow in ((LEFT_EYE, LEFT_BROW), (RIGHT_EYE, RIGHT_BROW)):
        _lid(out, p[eye], p[brow], min(1.0, amount))
    return out


def blink(frame: np.ndarray, landmarks: np.ndarray) -> list[np.ndarray]:
    """A blink at 8 frames a second: half shut, shut, half shut (then the open frame again),
    0.375 s; a live blink lasts 0.1-0.4 s."""
    half = closed(frame, landmarks, 0.55)
    return [half, closed(frame, landmarks, 1.0), half]
