"""An InkLabel (and a TopLabel) draws only the part of its texture that holds its text, at the
pixels where Kivy's own rule draws them: in a real window, each alignment gives the same
picture as a plain Label drawing its whole texture, from a smaller rectangle; new text is
followed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Driver

pytestmark = [pytest.mark.ui]

TEXTS = ("单行 Title 一", "社区 abc\n二行 xyz, a longer line")
ALIGN = [(h, v) for h in ("left", "center", "right") for v in ("top", "middle", "bottom")]


def pixels(widget: Any) -> bytes:
    """The widget drawn on its own, as RGBA bytes."""
    return bytes(widget.export_as_image().texture.pixels)


def drawn(label: Any) -> tuple[int, int]:
    from kivy.graphics import Rectangle

    (rect,) = [i for i in label.canvas.children if isinstance(i, Rectangle)]
    return int(rect.size[0]), int(rect.size[1])


def test_ink_labels_draw_the_same_picture_from_the_text_part_only(driver: Driver) -> None:
    from kivy.uix.floatlayout import FloatLayout
    from kivy.uix.label import Label

    from ui.ink import InkLabel
    from ui.widgets import TopLabel

    root = FloatLayout()
    pairs = []
    for k, (h, v) in enumerate(ALIGN):
        for j, text in enumerate(TEXTS):
            made = []
            for cls in (Label, InkLabel):
                lbl = cls(text=text, halign=h, valign=v, font_size=20, size_hint=(None, None))
                lbl.size = (300, 90)
                lbl.pos = (10 + 310 * j, 10 + 100 * (k % 4))
                lbl.text_size = lbl.size
                root.add_widget(lbl)
                made.append(lbl)
            pairs.append(made)
    top = TopLabel(text=TEXTS[1], font_size=20, size_hint=(None, None), size=(300, 100))
    top.pos = (700, 300)
    top.text_size = (300, None)
    root.add_widget(top)
    driver.mount(root, (1024, 600))
    for plain, ink in pairs:
        assert pixels(ink) == pixels(plain), (ink.halign, ink.valign, ink.text)
        w, h = drawn(ink)
        assert w < plain.texture.width and h < plain.texture.height, (ink.halign, ink.valign)
    assert drawn(top)[0] < top.texture.width
    # New text: the drawn part follows it (same texture size, other text extent).
    plain, ink = pairs[0]
    before = drawn(ink)
    plain.text = ink.text = "短"
    driver.until(lambda: drawn(ink) != before, what="the new text's part drawn")
    assert pixels(ink) == pixels(plain)
