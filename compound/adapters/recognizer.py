"""The one module that imports face_recognition and dlib.

It turns an RGB frame into faces: HOG detection on a downscaled copy (detection cost grows with
the pixel count; an encoding needs the full-resolution crop), the 68-point landmarks on the full
frame, and the 128-d descriptor computed from those same landmarks. face_recognition's own
``face_encodings`` would run the shape predictor a second time; liveness needs the 68 points
anyway, so they are computed once and handed to dlib's encoder directly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

with warnings.catch_warnings():
    # face_recognition_models imports pkg_resources, which warns on import.
    warnings.simplefilter("ignore")
    import dlib
    import face_recognition.api as fr_api

from compound.domain.face.model import Box, FaceFound


@dataclass(frozen=True)
class DetectSettings:
    # Frames wider than this are shrunk before detection; boxes are scaled back.
    detect_width: int = 320
    # HOG finds faces of about 80 px and more; each upsample halves that, at four times the cost.
    upsample: int = 1


class DlibRecognizer:
    """Detect, landmark and encode faces with dlib's HOG detector and ResNet encoder."""

    def __init__(self, settings: DetectSettings | None = None) -> None:
        self.settings = settings or DetectSettings()
        self._detector = fr_api.face_detector
        self._shape = fr_api.pose_predictor_68_point
        self._encoder = fr_api.face_encoder

    def detect(self, rgb: np.ndarray) -> list[Box]:
        """Face boxes in full-frame pixel coordinates."""
        h, w = rgb.shape[:2]
        scale = min(1.0, self.settings.detect_width / w) if w else 1.0
        small = rgb if scale >= 1.0 else _shrink(rgb, scale)
        rects = self._detector(small, self.settings.upsample)
        boxes = []
        for r in rects:
            top = max(0, int(r.top() / scale))
            left = max(0, int(r.left() / scale))
            bottom = min(h, int(r.bottom() / scale))
            right = min(w, int(r.right() / scale))
            if bottom > top and right > left:
                boxes.append(Box(top, right, bottom, left))
        return boxes

    def landmarks(self, rgb: np.ndarray, box: Box) -> np.ndarray:
        """The 68 points (x, y) of the face in ``box``: about 2 ms, cheap enough for every
        frame of a tracked face."""
        shape = self._shape(rgb, dlib.rectangle(box.left, box.top, box.right, box.bottom))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)

    def encode(self, rgb: np.ndarray, box: Box, landmarks: np.ndarray) -> np.ndarray:
        """The 128-d descriptor from landmarks computed earlier (the expensive step, about
        60 ms: the tracker asks for it once per face, not once per frame)."""
        rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
        points = dlib.points([dlib.point(int(x), int(y)) for x, y in landmarks])
        shape = dlib.full_object_detection(rect, points)
        return np.array(self._encoder.compute_face_descriptor(rgb, shape, 1), dtype=np.float32)

    def analyse(self, rgb: np.ndarray, boxes: list[Box] | None = None) -> list[FaceFound]:
        """Landmarks and descriptor for each face (detected here unless ``boxes`` is given)."""
        if boxes is None:
            boxes = self.detect(rgb)
        found = []
        for b in boxes:
            rect = dlib.rectangle(b.left, b.top, b.right, b.bottom)
            shape = self._shape(rgb, rect)
            points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
            enc = np.array(self._encoder.compute_face_descriptor(rgb, shape, 1), dtype=np.float32)
            found.append(FaceFound(b, points, enc))
        return found


def _shrink(rgb: np.ndarray, scale: float) -> np.ndarray:
    # dlib's own resize keeps this module free of a second image library.
    h, w = rgb.shape[:2]
    rows, cols = max(1, int(h * scale)), max(1, int(w * scale))
    return np.asarray(dlib.resize_image(np.ascontiguousarray(rgb), rows, cols))
