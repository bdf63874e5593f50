"""Face fixtures: the real dlib recogniser, shared by the session, with a cache so that each
photo is analysed once however many tests use it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from compound.domain.face.model import Box, FaceFound
from compound.store.db import Store
from tests.conftest import FACES

ENROLLED = ["John_Salley", "John_Savage", "John_Schneider", "John_Shimkus"]
STRANGER = "John_Simm"
ENROL_PHOTOS = 5  # the first five photos enrol; the other six are held out


class CachingRecognizer:
    """The real recogniser; results remembered by image content and boxes."""

    def __init__(self) -> None:
        from compound.adapters.recognizer import DlibRecognizer

        self.real = DlibRecognizer()
        self._detect: dict[str, list[Box]] = {}
        self._analyse: dict[tuple[str, object], list[FaceFound]] = {}
        self.calls = 0

    @staticmethod
    def _key(rgb: np.ndarray) -> str:
        return hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest() + str(rgb.shape)

    def detect(self, rgb: np.ndarray) -> list[Box]:
        k = self._key(rgb)
        if k not in self._detect:
            self.calls += 1
            self._detect[k] = self.real.detect(rgb)
        return self._detect[k]

    def landmarks(self, rgb: np.ndarray, box: Box) -> np.ndarray:
        k = (self._key(rgb), ("lm", box))
        if k not in self._analyse:
            self.calls += 1
            self._analyse[k] = self.real.landmarks(rgb, box)  # type: ignore[assignment]
        return self._analyse[k]  # type: ignore[return-value]

    def encode(self, rgb: np.ndarray, box: Box, landmarks: np.ndarray) -> np.ndarray:
        k = (self._key(rgb), ("enc", box))
        if k not in self._analyse:
            self.calls += 1
            self._analyse[k] = self.real.encode(rgb, box, landmarks)  # type: ignore[assignment]
        return self._analyse[k]  # type: ignore[return-value]

    def analyse(self, rgb: np.ndarray, boxes: list[Box] | None = None) -> list[FaceFound]:
        k = (self._key(rgb), None if boxes is None else tuple(boxes))
        if k not in self._analyse:
            self.calls += 1
            self._analyse[k] = self.real.analyse(rgb, boxes)
        return self._analyse[k]


@pytest.fixture(scope="session")
def johns() -> dict[str, list[Path]]:
    if not FACES.exists():
        pytest.skip(f"test photos missing at {FACES}")
    return {d.name: sorted(d.glob("*.jpg")) for d in sorted(FACES.iterdir()) if d.is_dir()}


@pytest.fixture(scope="session")
def recognizer() -> CachingRecognizer:
    return CachingRecognizer()


def add_resident(store: Store, name: str, unit: str = "3-2-1501", card: str | None = None) -> int:
    store.add_unit(unit)
    pid = store.add_person(name, unit, "owner")
    store.add_card(pid, card or str(10000 + pid))
    return pid


@pytest.fixture
def enrolled(
    store: Store, recognizer: CachingRecognizer, johns: dict[str, list[Path]]
) -> Iterator[dict[str, int]]:
    """Four Johns enrolled with five photos each, in a compound with one door for them."""
    from compound.services.face_enrol import Enroller

    store.add_door("b3-e2", "Building 3", ["3-2"])
    enroller = Enroller(store, recognizer)
    ids = {}
    for name in ENROLLED:
        pid = add_resident(store, name)
        photos = [(p.name, p.read_bytes()) for p in johns[name][:ENROL_PHOTOS]]
        r = enroller.enroll(pid, photos, "manager Li", "manager Li")
        assert r["accepted"] >= 3, r
        ids[name] = pid
    yield ids
