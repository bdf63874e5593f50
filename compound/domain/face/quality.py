"""The enrolment quality gate: is this photo good enough to become a template? Pure: no I/O.

A bad template makes a resident wait at the door for ever, or worse, sits closer to other
people's faces than it should. Every rejection carries a reason the manager can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compound.domain.face.model import Box


@dataclass(frozen=True)
class QualityRules:
    min_face_px: int = 80  # face box width and height, in the photo's pixels
    min_sharpness: float = 12.0  # variance of the Laplacian over the face, grey levels^2
    min_brightness: float = 50.0  # mean grey level of the face, 0-255
    max_brightness: float = 210.0


@dataclass(frozen=True)
class Quality:
    ok: bool
    reason: str
    box: Box | None = None
    sharpness: float | None = None
    brightness: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "box": self.box.as_dict() if self.box else None,
        }


def grey(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def sharpness(g: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low for a blurred or out-of-focus face."""
    if g.shape[0] < 3 or g.shape[1] < 3:
        return 0.0
    lap = g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def check(rgb: np.ndarray, boxes: list[Box], rules: QualityRules | None = None) -> Quality:
    r = rules or QualityRules()
    if not boxes:
        return Quality(False, "no face found: the face must be turned to the camera and lit")
    if len(boxes) > 1:
        return Quality(False, f"{len(boxes)} faces found: only the person enrolled may be in it")
    box = boxes[0]
    if min(box.width, box.height) < r.min_face_px:
        return Quality(
            False,
            f"face too small ({min(box.width, box.height)} px; at least {r.min_face_px}): "
            "come closer or use a larger photo",
            box,
        )
    g = grey(rgb[box.top : box.bottom, box.left : box.right])
    bright = float(g.mean())
    if bright < r.min_brightness:
        return Quality(False, "face too dark: add light in front of the face", box, None, bright)
    if bright > r.max_brightness:
        return Quality(False, "face too bright: avoid direct light or a flash", box, None, bright)
    sharp = sharpness(g)
    if sharp < r.min_sharpness:
        return Quality(
            False, "face blurred: hold still and keep the lens clean", box, sharp, bright
        )
    return Quality(True, "ok", box, sharp, bright)
