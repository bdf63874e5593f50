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


def test_remember_says_what_changed() -> None:
    s = Strangers(threshold=0.45, keep_s=100, capacity=2)
    a = s.remember(enc(1), 0.0)
    assert a.new and a.dropped == ()
    again = s.remember(enc(1), 50.0)
    assert again.id == a.id and not again.new
    b = s.remember(enc(2), 60.0)
    c = s.remember(enc(3), 70.0)  # full: the oldest (a, last seen at 50) makes room
    assert c.new and c.dropped == (a.id,) and b.id != c.id
    gone = s.remember(enc(3), 165.0)  # b is 105 s old: dropped as too old
    assert gone.id == c.id and gone.dropped == (b.id,)


def test_restore_takes_back_recent_entries_only() -> None:
    s = Strangers(threshold=0.45, keep_s=100, capacity=2)
    skipped = s.restore(
        [("sold", 0.0, enc(1)), ("snew", 150.0, enc(2)), ("smid", 120.0, enc(3))], 160.0
    )
    assert skipped == ["sold"] and len(s) == 2
    assert s.identify(enc(2), 170.0) == "snew"
    assert s.identify(enc(3), 170.0) == "smid"
    assert s.forget(1000.0) == ["snew", "smid"] and len(s) == 0
