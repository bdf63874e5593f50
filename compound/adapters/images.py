"""Decoding photos and encoding preview frames: the one module of the face package that imports
Pillow.

A photo's size is read from its header before any pixel is decoded, so a 50-megapixel upload is
refused with a message instead of taking a few hundred megabytes of the box's memory. Truncated
and corrupt files are refused too, never filled in with grey.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFile, ImageOps, UnidentifiedImageError

from compound.domain.face.model import Box
from compound.domain.model import InvalidInput

MAX_PIXELS = 16_000_000  # a 16 MP phone photo is the largest a manager needs to upload
MAX_BYTES = 30 * 1024 * 1024
# Photos are shrunk to this many pixels on the long side after decoding: a face of a usable size
# stays usable, and encoding time does not depend on the phone that took the photo.
WORK_SIDE = 1600


def decode(data: bytes, *, what: str = "image") -> np.ndarray:
    """RGB pixels of a JPEG/PNG/... photo, or ``InvalidInput`` saying why it cannot be used."""
    if not data:
        raise InvalidInput(f"{what} is empty")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{what} is {len(data) // 1_048_576} MB; the largest accepted is 30 MB")
    # face_recognition switches Pillow to "fill truncated images with grey" when it is
    # imported; a half-uploaded photo must be refused instead, so the switch is set back here.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
            w, h = img.size  # from the header: nothing decoded yet
            if w * h > MAX_PIXELS:
                raise InvalidInput(
                    f"{what} is {w}×{h} ({w * h / 1e6:.0f} megapixels); the largest accepted is "
                    f"{MAX_PIXELS // 1_000_000} megapixels: resize it and try again"
                )
            if img.format == "JPEG" and max(w, h) > WORK_SIDE:
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale directly: less memory and time.
                img.draft("RGB", (WORK_SIDE, WORK_SIDE))
            img.load()
            img = ImageOps.exif_transpose(img) or img
            if max(img.size) > WORK_SIDE:
                img.thumbnail((WORK_SIDE, WORK_SIDE))
            rgb = img.convert("RGB")
    except InvalidInput:
        raise
    except UnidentifiedImageError:
        raise InvalidInput(f"{what} is not an image (JPEG or PNG expected)") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as e:
        raise InvalidInput(f"{what} is damaged or truncated ({e.__class__.__name__})") from None
    return np.asarray(rgb, dtype=np.uint8)


def jpeg(
    rgb: np.ndarray, boxes: Sequence[Box] = (), *, width: int = 320, quality: int = 70
) -> bytes:
    """A small JPEG of the frame with face boxes drawn, for door panels and indoor stations."""
    img = Image.fromarray(rgb)
    scale = min(1.0, width / img.width)
    if scale < 1.0:
        img = img.resize((int(img.width * scale), int(img.height * scale)))
    draw = ImageDraw.Draw(img)
    for b in boxes:
        draw.rectangle(
            (b.left * scale, b.top * scale, b.right * scale, b.bottom * scale),
            outline=(0, 220, 90),
            width=2,
        )
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """The picture at ``width``×``height`` (bilinear): test clips and benchmarks build door
    camera frames from small photos with it."""
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.BILINEAR))


def small_png(path: str) -> int:
    """Rewrite a PNG with a palette of 256 colours (screenshots for the documentation: a third
    of the size, no visible change on flat screen colours); returns the new size in bytes."""
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, "PNG", optimize=True)
    return os.path.getsize(path)
