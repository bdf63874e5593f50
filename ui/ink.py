"""Only the part of a label's texture that holds its text is drawn.

A label given a width or a box to lay its text out in (``text_size``) gets a texture of that
whole width or box, and Kivy's rule draws all of it. With Mesa's software rasteriser (the box
has no GPU) every pixel of every texture is blended on every frame, text or empty: the wall's
titles, tiles and rows were drawn as wide as their widgets, mostly empty. An ``InkLabel``
draws the part of the texture around the text instead (the text's own size, as Kivy's text
layout measured it, placed as ``halign`` and ``valign`` placed it). Only empty, transparent
pixels are left out: the screen looks the same, pixel for pixel. A label without text draws
nothing at all (Kivy's rule issues a draw for it all the same, and each draw costs software GL
tens of microseconds). ``TopLabel`` (``ui.widgets``) is an InkLabel with its text at its top.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Rectangle
from kivy.uix.label import Label


class InkLabel(Label):
    """A Label that draws only its text's part of its texture, and nothing without text. (Its
    rule in common.kv is empty: it replaces Kivy's, which draws the whole texture.)"""

    at_top = False  # True: the texture's top left at the label's (TopLabel), else centred

    def __init__(self, **kw: Any) -> None:
        self._colour = Color(1, 1, 1, 1)
        self._rect = Rectangle()
        self._drawing = False
        super().__init__(**kw)
        for name in ("texture", "texture_size", "pos", "size"):
            self.fbind(name, self._ink)
        self._ink()

    def _ink(self, *_: object) -> None:
        tex = self.texture
        if tex is None:
            if self._drawing:
                self.canvas.remove(self._colour)
                self.canvas.remove(self._rect)
                self._drawing = False
            return
        tw, th = tex.size
        # Where Kivy would draw the whole texture, then moved to the text's part of it. From
        # x, y, width and height: Kivy's top and centre are cached aliases, which a size
        # callback may read before they follow a new height (a label shrunk in place then
        # drew its text where its old top was, over the line above).
        x0, y0, w0, h0 = self.x, self.y, self.width, self.height
        if self.at_top:
            x, y = int(x0), int(y0 + h0 - th)
        else:
            x, y = int(x0 + w0 / 2.0 - tw / 2.0), int(y0 + h0 / 2.0 - th / 2.0)
        bx, by, w, h = _box(self)
        rect = self._rect
        rect.texture = tex if (w, h) == (tw, th) else tex.get_region(bx, by, w, h)
        rect.pos, rect.size = (x + bx, y + by), (w, h)
        if not self._drawing:
            self.canvas.add(self._colour)
            self.canvas.add(rect)
            self._drawing = True


def _box(label: Any) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the text within the texture, y from the texture's bottom."""
    tex = label.texture
    if tex is None:
        return 0, 0, 0, 0
    tw, th = tex.size
    core = getattr(label, "_label", None)
    inner = getattr(core, "_internal_size", None)
    if not inner or label.halign == "justify" or label.markup:
        return 0, 0, tw, th  # justified or marked-up text: drawn whole, as Kivy does
    iw, ih = min(int(inner[0]) + 1, tw), min(int(inner[1]) + 1, th)
    halign = label.halign
    x = 0 if halign in ("left", "auto") else tw - iw if halign == "right" else (tw - iw) // 2
    valign = label.valign
    # Kivy lays text out from the texture's top: "top" at the top, "bottom" at the bottom.
    y = th - ih if valign == "top" else 0 if valign == "bottom" else (th - ih) // 2
    return x, y, iw, ih


def texture(label: Any, tex: Any) -> Any:
    """The part of ``tex`` (the label's texture) that holds the text."""
    if tex is None:
        return None
    x, y, w, h = _box(label)
    if (w, h) == tuple(tex.size):
        return tex
    return tex.get_region(x, y, w, h)
