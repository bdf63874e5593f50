"""Door-camera clips made from still photos, for the face tests and benchmarks.

A clip is a list of 640×480 RGB frames: an empty entrance (a textured background that the
motion gate must learn to ignore), and a face (a photo scaled to a 260 px face) placed on it.
What the tests need from the test photos:
- ``slideshow``: different photos of one person shown one after another (the attack that a
  blink check alone let through);
- ``crossfade``: the same photos blended into each other over a few frames, so that each
  frame is close to the last one, as in a video; with the photos ordered as a challenge asks,
  this is the "adaptive responder" an attacker could build, and the closest the test data
  comes to a genuine, continuous face;
- ``background``: the entrance with nobody in it, with sensor noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from compound.adapters import images

W, H = 640, 480
FACE = 260


def background(seed: int = 7) -> np.ndarray:
    """An entrance: a wall with a smooth gradient and some texture, never changing."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W]
    base = 90 + 40 * (x / W) + 20 * (y / H)
    tex = rng.normal(0, 6, (H // 8, W // 8)).repeat(8, 0).repeat(8, 1)
    g = np.clip(base + tex, 0, 255)
    return np.stack([g, g * 0.97, g * 0.92], axis=-1).astype(np.uint8)


def noisy(frame: np.ndarray, rng: np.random.Generator, level: int = 3) -> np.ndarray:
    """Sensor noise of a few grey levels (the motion gate must not take it for motion)."""
    if level <= 0:
        return frame
    n = rng.integers(-level, level + 1, frame.shape, dtype=np.int16)
    return np.clip(frame.astype(np.int16) + n, 0, 255).astype(np.uint8)


def place(photo: np.ndarray, bg: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
    face = images.resize(photo, FACE, FACE)
    out = bg.copy()
    top, left = (H - FACE) // 2 + dy, (W - FACE) // 2 + dx
    out[top : top + FACE, left : left + FACE] = face
    return out


def load(paths: Sequence[Path]) -> list[np.ndarray]:
    return [images.decode(p.read_bytes()) for p in paths]


def slideshow(
    photos: Sequence[np.ndarray], hold: int = 3, seed: int = 1, level: int = 3
) -> list[np.ndarray]:
    """Each photo for ``hold`` frames, hard cuts between them."""
    rng = np.random.default_rng(seed)
    bg = background()
    return [noisy(place(p, bg), rng, level) for p in photos for _ in range(hold)]


def crossfade(
    photos: Sequence[np.ndarray], hold: int = 2, steps: int = 5, seed: int = 1, level: int = 3
) -> list[np.ndarray]:
    """Each photo for ``hold`` frames, blended into the next over ``steps`` frames, with a
    small sway, as a head moves in a video."""
    rng = np.random.default_rng(seed)
    bg = background()
    out: list[np.ndarray] = []
    placed = [place(p, bg).astype(np.float32) for p in photos]
    k = 0
    for i, cur in enumerate(placed):
        for _ in range(hold):
            out.append(noisy(np.roll(cur, k % 3 - 1, axis=1).astype(np.uint8), rng, level))
            k += 1
        if i + 1 < len(placed):
            nxt = placed[i + 1]
            for s in range(1, steps + 1):
                a = s / (steps + 1)
                mix = (1 - a) * cur + a * nxt
                out.append(noisy(np.roll(mix, k % 3 - 1, axis=1).astype(np.uint8), rng, level))
                k += 1
    return out


def empty(n: int, seed: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    bg = background()
    return [noisy(bg, rng) for _ in range(n)]
