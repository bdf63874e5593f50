"""Values of the face pipeline: boxes, faces found in a frame, matches. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Box:
    """A face rectangle in pixels, in face_recognition's (top, right, bottom, left) order."""

    top: int
    right: int
    bottom: int
    left: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def as_dict(self) -> dict[str, int]:
        return {"top": self.top, "right": self.right, "bottom": self.bottom, "left": self.left}


@dataclass(frozen=True, eq=False)
class FaceFound:
    """One face in one frame: where, its 68 landmarks (x, y) and its 128-d descriptor."""

    box: Box
    landmarks: np.ndarray  # shape (68, 2)
    encoding: np.ndarray  # shape (128,), float32


@dataclass(frozen=True)
class Match:
    """The result of a 1:N search: the nearest person and how far the next person is."""

    person_id: int | None
    distance: float
    second_distance: float  # nearest template of any other person; inf when there is none


class Recognizer(Protocol):
    """What the pipeline needs from a face engine (``recognizer.DlibRecognizer`` on the box)."""

    def detect(self, rgb: np.ndarray) -> list[Box]: ...

    def analyse(self, rgb: np.ndarray, boxes: list[Box] | None = None) -> list[FaceFound]: ...


class TrackingRecognizer(Recognizer, Protocol):
    """The steps apart, so that a tracked face is encoded once and not on every frame."""

    def landmarks(self, rgb: np.ndarray, box: Box) -> np.ndarray: ...

    def encode(self, rgb: np.ndarray, box: Box, landmarks: np.ndarray) -> np.ndarray: ...
