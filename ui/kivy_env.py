"""Kivy start-up: settings that must be made before the first Kivy import, and the CJK font.

Kivy's default font (Roboto) has no Chinese glyphs: every Chinese character drew as a box. The
WenQuanYi Micro Hei font from Debian's ``fonts-wqy-microhei`` is registered under Kivy's default
font name, so every Label, Button and TextInput draws Chinese without naming a font.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from compound.domain.model import InvalidInput

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

ROLE_SIZES = {"door": (1024, 600), "officer": (1920, 1080), "manager": (1280, 800)}
ROLE_MAXFPS = {"door": 30, "officer": 60, "manager": 60}


def prepare(width: int, height: int, fullscreen: bool = False, maxfps: int = 60) -> None:
    """Settle the window before Kivy opens it. Call before importing any kivy module.

    ``maxfps`` caps how often Kivy draws: the door panel uses 30, which is smooth for its
    preview (a few camera frames a second) and halves the drawing work on a box without a GPU.
    """
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    if not os.environ.get("COMPOUND_UI_VERBOSE"):
        os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    font = Path(os.environ.get("COMPOUND_UI_FONT", str(CJK_FONT)))
    if not font.exists():
        raise InvalidInput(
            f"the Chinese font {font} is missing; install it with "
            "`apt-get install fonts-wqy-microhei` (./dev setup does) or set COMPOUND_UI_FONT"
        )
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "maxfps", str(maxfps))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    # No multisampling: Kivy asks for 2 samples and Mesa's software rasteriser (llvmpipe, the
    # box has no GPU) answers with 4, which makes every frame's fill and resolve 4 times the
    # work: an empty 1920x1080 window took 48 ms a frame with it, 7 ms without (measured in
    # bench/bench_wall_frame.py). Text is drawn from textures and is not affected; only the
    # edges of rounded shapes lose their smoothing.
    Config.set("graphics", "multisamples", os.environ.get("COMPOUND_UI_MULTISAMPLES", "0"))
    # The kiosk has a touchscreen; the mouse provider stays for development and for Xvfb.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(DEFAULT_FONT, str(font), str(font), str(font), str(font))
    sharp_text(os.environ.get("COMPOUND_UI_TEXT_FILTER", TEXT_FILTER))
    window_clear(os.environ.get("COMPOUND_UI_CLEAR", WINDOW_CLEAR))


# What the window clears before each frame. Kivy clears the colour, depth and stencil buffers;
# the screens use neither depth nor stencil (they clip with the scissor, ``ScissorClip``), and
# Kivy's ``StencilPush`` clears the stencil itself before the first stencil of a frame. Mesa's
# software rasteriser (the box has no GPU) clears each buffer it is told to, pixel by pixel:
# the empty 1920x1080 window cost 8.3 ms of CPU a frame with Kivy's clear, 4.1 with the colour
# alone (measured in bench/bench_wall_frame.py, which compares both in one run).
# ``COMPOUND_UI_CLEAR=all`` keeps Kivy's.
WINDOW_CLEAR = "colour"
_KIVY_CLEAR: Any = None


def window_clear(kind: str = WINDOW_CLEAR) -> None:
    """Make the window clear only its colour before each frame (``colour``) or the colour,
    depth and stencil as Kivy does (``all``). A later call switches between them. Imports
    Kivy's window module, which opens the window: ``prepare`` calls it last, as every screen
    opens its window next."""
    global _KIVY_CLEAR
    if kind not in ("colour", "all"):
        raise InvalidInput(f"COMPOUND_UI_CLEAR must be colour or all, not {kind!r}")
    from kivy.core.window import WindowBase

    if _KIVY_CLEAR is None:
        _KIVY_CLEAR = WindowBase.clear
    WindowBase.clear = _KIVY_CLEAR if kind == "all" else _clear_colour


def _clear_colour(window: Any) -> None:
    from kivy.graphics import opengl as gl

    gl.glClearColor(*window.clearcolor)
    gl.glClear(gl.GL_COLOR_BUFFER_BIT)


# Every label's text texture is sampled from the nearest texel instead of Kivy's linear mix of
# four: Kivy draws a label's texture at its own size at whole pixels (``int()`` in its rule and
# in ``TopLabel``'s), so both give the same picture (the loaded wall saved both ways: not a pixel
# differs), and Mesa's software rasteriser samples a nearest texture faster (a full-screen
# texture 23-24 ms of CPU a frame against 27-33 ms; the wall shows some half a screen of text).
# A label in a view moved by a fraction of a pixel (Kivy's own ScrollView; the screens'
# ``ui.pixel_scroll`` views move by whole pixels) is drawn up to half a pixel off, not blurred.
# ``COMPOUND_UI_TEXT_FILTER=linear`` keeps Kivy's (to compare, bench/bench_wall_frame.py).
TEXT_FILTER = "nearest"
_text_filter = TEXT_FILTER


def sharp_text(text_filter: str = TEXT_FILTER) -> None:
    """Every Kivy ``Label`` (the buttons and every label of the three screens) gets
    ``text_filter`` as its texture's filters whenever its texture is made or replaced. Only
    widgets' labels: the site map's names are drawn scaled with the plan and keep Kivy's linear
    filter. Installed once; a later call changes the filter from each label's next texture."""
    global _text_filter
    if text_filter not in ("nearest", "linear"):
        raise InvalidInput(
            f"COMPOUND_UI_TEXT_FILTER must be nearest or linear, not {text_filter!r}"
        )
    _text_filter = text_filter
    from kivy.uix.label import Label

    if getattr(Label.texture_update, "filtered", False):
        return
    kivy_update = Label.texture_update

    def texture_update(self: Any, *largs: Any) -> None:
        kivy_update(self, *largs)
        texture = self.texture
        if texture is not None:
            texture.mag_filter = _text_filter
            texture.min_filter = _text_filter

    texture_update.__doc__ = kivy_update.__doc__
    texture_update.filtered = True  # type: ignore[attr-defined]
    Label.texture_update = texture_update


FULL_GC_EVERY = 100  # collections of the middle generation between full ones (Python: 10)


def freeze_heap() -> None:
    """Once a screen has loaded what it shows: collect what is garbage now, then move every
    object left into Python's permanent generation, so later full collections walk only what
    was made since. On the wall (156 door tiles, the alarm queue, Kivy itself) a full
    collection held the UI thread for 120-210 ms, several frames, while passages arrived
    (bench/bench_wall_frame.py counts them)."""
    import gc

    gc.collect()
    gc.freeze()
    # Full collections are rare after this: one walks every object made since the freeze (the
    # passages, their labels) and held the wall 25-110 ms, several frames, each time. Cyclic
    # garbage in the young generations is still collected as before; only what lived long
    # enough to reach the oldest waits ten times longer.
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, max(full, FULL_GC_EVERY))
