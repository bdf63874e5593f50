"""The enrolment quality gate: each rejection has its reason."""

from __future__ import annotations

import numpy as np

from compound.domain.face.model import Box
from compound.domain.face.quality import check

rng = np.random.default_rng(3)
TEXTURE = rng.integers(60, 200, size=(200, 200, 3), dtype=np.uint8)
BOX = Box(20, 180, 180, 20)


def test_sharp_well_lit_face_passes() -> None:
    """A textured, mid-grey face region of good size is accepted."""
    q = check(TEXTURE, [BOX])
    assert q.ok and q.box == BOX


def test_reasons() -> None:
    """No face, several faces, too small, too dark, too bright, blurred: each says so."""
    assert "no face" in check(TEXTURE, []).reason
    assert "2 faces" in check(TEXTURE, [BOX, Box(0, 50, 50, 0)]).reason
    assert "too small" in check(TEXTURE, [Box(10, 60, 60, 10)]).reason
    assert "too dark" in check((TEXTURE // 6).astype(np.uint8), [BOX]).reason
    assert "too bright" in check(np.full_like(TEXTURE, 240), [BOX]).reason
    flat = np.full_like(TEXTURE, 128)
    q = check(flat, [BOX])
    assert not q.ok and "blurred" in q.reason
