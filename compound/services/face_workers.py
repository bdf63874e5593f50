"""Which recogniser each thread of the face service uses.

The service's workers each own a recogniser (``adapters/recognizer_pool.py``: dlib in a child
process, so that two workers use two cores and the cameras' readers are not held up while a
face is encoded); a worker's calls go to its own. Every other thread (a camera's reader
following a face's landmarks, enrolment) uses the service's own in-process recogniser, one
thread at a time (``lock``, shared with enrolment). With no workers of their own, the service
has one worker on the in-process recogniser, as before.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from compound.domain.face.model import Box, FaceFound, TrackingRecognizer


class ThreadRecognizers:
    """A ``TrackingRecognizer`` that sends each call to the calling thread's own recogniser,
    or to the shared in-process one under its lock."""

    def __init__(self, local: TrackingRecognizer, lock: threading.Lock) -> None:
        self.local = local
        self.lock = lock
        self._mine = threading.local()

    def bind(self, own: TrackingRecognizer | None) -> None:
        """The calling thread's own recogniser from now on (None: the shared one)."""
        self._mine.rec = own

    def _call(self, op: str, *args: Any) -> Any:
        own = getattr(self._mine, "rec", None)
        if own is not None:
            return getattr(own, op)(*args)
        with self.lock:
            return getattr(self.local, op)(*args)

    def detect(self, rgb: np.ndarray) -> list[Box]:
        out: list[Box] = self._call("detect", rgb)
        return out

    def landmarks(self, rgb: np.ndarray, box: Box) -> np.ndarray:
        out: np.ndarray = self._call("landmarks", rgb, box)
        return out

    def encode(self, rgb: np.ndarray, box: Box, landmarks: np.ndarray) -> np.ndarray:
        out: np.ndarray = self._call("encode", rgb, box, landmarks)
        return out

    def analyse(self, rgb: np.ndarray, boxes: list[Box] | None = None) -> list[FaceFound]:
        out: list[FaceFound] = self._call("analyse", rgb, boxes)
        return out
