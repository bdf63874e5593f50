"""A list's text is cut to the whole lines its block has room for, the first ones."""

from __future__ import annotations

from ui.text_fit import LINE, fit_lines


def test_the_first_lines_that_fit_are_kept() -> None:
    text = "\n".join(f"line {i}" for i in range(40))
    shown = fit_lines(text, 10 * 17 * LINE + 5, 17)
    assert shown.split("\n") == [f"line {i}" for i in range(10)]


def test_a_short_list_and_a_block_not_yet_laid_out() -> None:
    assert fit_lines("a\nb", 500, 17) == "a\nb"
    assert fit_lines("a\nb", 0, 17) == "a"  # one line until the block has its height
