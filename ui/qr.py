"""Visitor-pass QR codes drawn for the screen (the one module that imports ``qrcode``)."""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture

from ui.widgets import texture_from_rgb


def qr_texture(data: str, box: int = 8) -> Texture:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=2)
    qr.add_data(data)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    return texture_from_rgb(img.width, img.height, img.tobytes())
