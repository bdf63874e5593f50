"""Scrolling views that move what they show by whole pixels.

Every label's texture is sampled from its nearest texel (``ui.kivy_env.sharp_text``), drawn at
its own size where its pixels fall on the screen's. Kivy's ScrollView moves its content by
``scroll_y × (content - view)``, some fraction of a pixel part way down a list, so a label in
it would be drawn up to half a pixel off: a row of text one pixel thicker or thinner than the
next. These move it to the nearest whole pixel instead: the list scrolls as before (the same
``scroll_y``, touch, bars and effects), at most half a pixel from where Kivy would put it.

``PixelScrollView`` replaces Kivy's ScrollView in every screen; ``PixelDropDown`` replaces the
dropdown (a ScrollView too) of every Spinner, set by the class rule below, so a long list of
choices scrolls the same way. The wall's ``ClipScrollView`` (``ui.widgets``) is one too."""

from __future__ import annotations

from typing import Any

from kivy.lang import Builder
from kivy.uix.dropdown import DropDown
from kivy.uix.scrollview import ScrollView


class WholePixels:
    """For a ScrollView: its content's offset rounded to whole pixels after each move."""

    g_translate: Any

    def update_from_scroll(self, *largs: object) -> None:
        super().update_from_scroll(*largs)  # type: ignore[misc]
        x, y = self.g_translate.xy
        self.g_translate.xy = (round(x), round(y))


class PixelScrollView(WholePixels, ScrollView):
    """Kivy's ScrollView, its content at whole pixels."""


class PixelDropDown(WholePixels, DropDown):
    """Kivy's DropDown (a Spinner's list of choices), its content at whole pixels."""


# Every Spinner's list of choices, whichever screen makes it (in kv or in Python).
Builder.load_string("<Spinner>:\n    dropdown_cls: 'PixelDropDown'\n")
