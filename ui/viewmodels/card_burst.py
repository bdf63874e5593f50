"""A USB card reader's swipe told from a person's typing.

Most readers at the console are keyboard devices: a swipe is the card number typed in one fast
burst (a few milliseconds a key; magnetic-stripe readers add ";" before and "?" after) ended by
Enter. A person types the same keys a hundred milliseconds or more apart. While the on-screen
pinyin keyboard is open the keys of the real keyboard are read here, so that a card swiped
then goes to the card field and never into the name being typed. Pure: the times are given.
"""

from __future__ import annotations

GAP_S = 0.06  # the longest pause between two keys of one swipe (readers: 2-20 ms a key)
MIN_DIGITS = 4  # a card number is longer than this; fewer digits are a person's typing
MARKS = ";%?"  # a magnetic stripe's start and end sentinels, typed by some readers


class CardBurst:
    """Keys in, a card number out when a burst of digits ends in Enter."""

    def __init__(self, gap_s: float = GAP_S, min_digits: int = MIN_DIGITS) -> None:
        self.gap_s, self.min_digits = gap_s, min_digits
        self.keys = ""
        self._last = float("-inf")

    def key(self, ch: str, at: float) -> bool:
        """A typed character; True when it is one a reader types (digits, stripe marks):
        it is kept for the burst and must not go anywhere else."""
        if not (ch.isdigit() and ch.isascii()) and ch not in MARKS:
            self.keys = ""
            return False
        if at - self._last > self.gap_s:
            self.keys = ""  # a pause: what came before was someone's typing
        self.keys += ch
        self._last = at
        return True

    def enter(self, at: float) -> str | None:
        """Enter pressed: the card number when the keys just before it were a swipe."""
        digits = "".join(c for c in self.keys if c.isdigit())
        fast = at - self._last <= self.gap_s
        self.keys = ""
        return digits if fast and len(digits) >= self.min_digits else None
