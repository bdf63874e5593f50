"""What is written on the site plan (the blocks' names, the door labels), made a few a frame.

A label's place is decided from its size, which is measured without making its texture (Kivy's
``get_extents`` gives the size the texture will have). The textures are made ``A_FRAME`` at a
time on the frames after, and each is drawn as it comes, into the dark ground already drawn
for it. Textures are kept by text and size, so a door opening or a zoom makes none again.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, InstructionGroup, Rectangle
from kivy.graphics.texture import Texture

from ui.viewmodels.map_labels import Box

# Label textures made a frame. Made all at once, the xian wall's 250 door labels and block
# names (and the GL upload of their textures in that frame's drawing) were the largest part
# of the map's first showing; 40 a frame are 1-3 ms, all of them within 7 frames. With the
# plan drawn once a frame, the first showing's longest frame went from 81.3 to 19.2 ms of
# UI-thread CPU (block layout) and 111.9 to 22.0 ms (drawn plan), medians of five runs, the
# whole map drawn after 0.36 s (11 frames) instead of 0.14-0.24 s (docs/notes/ui.md).
A_FRAME = 40

Text = tuple[str, int, Box, tuple[float, ...]]  # text, font size, box on the plan, colour


class PlanTexts:
    def __init__(self) -> None:
        self.group = InstructionGroup()
        self.textures: dict[tuple[int, str], Texture] = {}
        self._sizes: dict[tuple[int, str], tuple[int, int]] = {}
        self.shown: list[Text] = []  # what is written now
        self._to_make: list[tuple[int, str]] = []
        self.made = 0  # textures made so far (counted per frame in tests)
        self._later = Clock.create_trigger(self._make_some, 0)  # on the next frame

    def size(self, text: str, font_size: int) -> tuple[int, int]:
        """The label's size in pixels, as its texture will have it."""
        got = self._sizes.get((font_size, text))
        if got is None:
            w, h = CoreLabel(text=text, font_size=font_size, bold=True).get_extents(text)
            got = self._sizes[(font_size, text)] = (int(w), int(h))
        return got

    def show(self, texts: list[Text]) -> None:
        """Draw these texts (in this order of need), the ones not made yet as they are made."""
        self.shown = texts
        self.group.clear()
        self._draw([t for t in texts if (t[1], t[0]) in self.textures])
        self._to_make = list(dict.fromkeys((s, x) for x, s, _b, _c in texts))
        self._to_make = [k for k in self._to_make if k not in self.textures]
        if self._to_make:
            self._later()

    def hide(self) -> None:
        """Nothing written until the next ``show``."""
        self.shown, self._to_make = [], []
        self.group.clear()

    @property
    def pending(self) -> int:
        """How many textures are still to be made for what is shown."""
        return len(self._to_make)

    def _draw(self, texts: list[Text]) -> None:
        colour: tuple[float, ...] = ()
        for text, font_size, (x, y, w, h), rgba in texts:
            if rgba != colour:
                colour = rgba
                self.group.add(Color(*rgba))
            tex = self.textures[(font_size, text)]
            self.group.add(Rectangle(texture=tex, pos=(x, y), size=(w, h)))

    def _make_some(self, *_: Any) -> None:
        now, self._to_make = self._to_make[:A_FRAME], self._to_make[A_FRAME:]
        for font_size, text in now:
            lbl = CoreLabel(text=text, font_size=font_size, bold=True)
            lbl.refresh()
            self.textures[(font_size, text)] = lbl.texture
            self.made += 1
        made = set(now)
        # Only the new ones are added: the ones drawn before stay as they are.
        self._draw([t for t in self.shown if (t[1], t[0]) in made])
        if self._to_make:
            self._later()
