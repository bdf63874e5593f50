"""Work done a share a frame: the first share at once, the next after each frame is drawn, so
that no frame holds the UI thread for all of it (the wall's door cards, the console's file
rows, an import's problems)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock


class Paced:
    """Runs ``share`` once now and again after each frame while it says more is left; a new
    ``run`` or ``stop`` drops what was left of the one before."""

    def __init__(self) -> None:
        self._next: Any = None  # the clock event of the next share

    @property
    def busy(self) -> bool:
        """Whether shares are still to come."""
        return self._next is not None

    def stop(self) -> None:
        if self._next is not None:
            self._next.cancel()
            self._next = None

    def run(self, share: Callable[[], bool]) -> None:
        self.stop()

        def turn(_dt: float = 0) -> None:
            self._next = None
            if share():  # more left: after this frame is drawn
                self._next = Clock.schedule_once(turn, 0.01)

        turn()
