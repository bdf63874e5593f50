"""A USB card reader as a screen receives it: a keyboard wedge, typing the card's number a key
press per character and then Enter, to whichever widget has the focus (the screens tell such a
burst from a person typing). For the window tests and the screenshots; ``window`` is Kivy's
window, handed in (this module imports no Kivy)."""

from __future__ import annotations

from typing import Any

ENTER = 13


def key(window: Any, ch: str) -> None:
    """One key pressed and released, typing ``ch``."""
    window.dispatch("on_key_down", ord(ch), 0, ch, [])
    window.dispatch("on_textinput", ch)
    window.dispatch("on_key_up", ord(ch), 0)


def swipe(window: Any, text: str) -> None:
    """A card swiped: its ``text`` typed in one burst, then Enter."""
    for ch in text:
        key(window, ch)
    window.dispatch("on_key_down", ENTER, 40, None, [])
    window.dispatch("on_key_up", ENTER, 40)
