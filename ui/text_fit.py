"""A list's text cut to the lines its block has room for (``Panel`` in ui/common.kv).

On a compound of the real size a list (the wall's live passages, a person's passages) is longer
than the block that shows it, and a Kivy label draws what does not fit over whatever is below
it. The first lines are kept: the lists are newest first, or one page of rows; the block's title
says how many there are in all."""

from __future__ import annotations

LINE = 1.25  # a line of text is this many times its font size high, with room to spare


def fit_lines(text: str, height: float, font_size: float) -> str:
    rows = max(1, int(height // (font_size * LINE)))
    return "\n".join(text.split("\n")[:rows])
