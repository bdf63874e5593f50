"""Kivy start-up: settings that must be made before the first Kivy import, and the CJK font.

Kivy's default font (Roboto) has no Chinese glyphs: every Chinese character drew as a box. The
WenQuanYi Micro Hei font from Debian's ``fonts-wqy-microhei`` is registered under Kivy's default
font name, so every Label, Button and TextInput draws Chinese without naming a font.
"""

from __future__ import annotations

import os
from pathlib import Path

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
