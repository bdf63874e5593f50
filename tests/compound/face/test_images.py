"""Bad photos are refused with a clear message and bounded memory."""

from __future__ import annotations

import io
import struct
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from compound.adapters import images
from compound.domain.model import InvalidInput


def _jpeg(w: int = 120, h: int = 90) -> bytes:
    out = io.BytesIO()
    rgb = np.random.default_rng(0).integers(0, 255, size=(h, w, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(out, "JPEG")
    return out.getvalue()


def _with_header_size(data: bytes, w: int, h: int) -> bytes:
    """The same JPEG with its SOF header claiming another size (as a 50 MP photo would)."""
    i = data.index(b"\xff\xc0")
    return data[: i + 5] + struct.pack(">HH", h, w) + data[i + 9 :]


def test_a_good_jpeg_decodes_to_rgb() -> None:
    """The baseline: a real JPEG gives an h×w×3 array."""
    assert images.decode(_jpeg()).shape == (90, 120, 3)


def test_fifty_megapixels_is_refused_from_the_header_without_decoding() -> None:
    """A 50 MP photo must not take hundreds of megabytes: the header is enough to refuse it."""
    big = _with_header_size(_jpeg(), 8660, 5774)
    tracemalloc.start()
    with pytest.raises(InvalidInput, match="megapixels"):
        images.decode(big, what="photo.jpg")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 5_000_000


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"#!/bin/sh\necho hello\n", "not an image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "not an image"),
        (_jpeg()[:300] + b"\xff\xd9", "damaged"),
    ],
)
def test_non_images_and_corrupt_files(data: bytes, words: str) -> None:
    """Text files and garbage with a JPEG signature get one line each, no traceback."""
    with pytest.raises(InvalidInput, match=words):
        images.decode(data)


def test_truncated_jpeg_is_refused_even_after_face_recognition_is_imported() -> None:
    """face_recognition makes Pillow fill truncated images with grey; a half upload must still
    be refused, not enrolled as a grey half face."""
    import compound.adapters.recognizer  # noqa: F401 - sets Pillow's global flag

    data = _jpeg(400, 300)
    with pytest.raises(InvalidInput, match="damaged or truncated"):
        images.decode(data[: len(data) // 2])


def test_preview_jpeg_draws_boxes_and_is_small() -> None:
    """The preview for door panels is a real JPEG, scaled down."""
    from compound.domain.face.model import Box

    rgb = np.zeros((480, 640, 3), dtype=np.uint8)
    data = images.jpeg(rgb, [Box(100, 300, 300, 100)], width=320)
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and img.size == (320, 240)
    assert np.asarray(img)[50, 100].max() > 100  # the box outline at the scaled position
