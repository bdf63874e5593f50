"""The stranger memory: the same face gets the same anonymous id, others a new one, and it
forgets on time and within its size bound."""

from __future__ import annotations

import numpy as np

from compound.domain.face.strangers import Strangers


def enc(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return v / np.linalg.norm(v)


def test_same_face_same_id_other_face_new_id() -> None:
    s = Strangers(threshold=0.45, keep_s=3600)
    a = s.identify(enc(1), 0.0)
    assert s.identify(enc(1) + 0.01, 10.0) == a
    assert s.identify(enc(2), 20.0) != a
    assert len(s) == 2


def test_forgets_after_keep_time_since_last_seen() -> None:
    s = Strangers(threshold=0.45, keep_s=100)
    a = s.identify(enc(1), 0.0)
    assert s.identify(enc(1), 90.0) == a  # seen again: the clock restarts
    assert s.identify(enc(1), 180.0) == a
    assert s.identify(enc(1), 281.0) != a  # 101 s after last seen: forgotten, a new id


def test_memory_is_bounded() -> None:
    s = Strangers(threshold=0.45, keep_s=1e9, capacity=3)
    first = s.identify(enc(1), 0.0)
    for i in range(2, 6):
        s.identify(enc(i), float(i))
    assert len(s) == 3
    assert s.identify(enc(1), 10.0) != first  # the oldest was dropped to make room
