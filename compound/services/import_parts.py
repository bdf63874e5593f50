"""A register sheet sent in parts: the core keeps the parts until the last one, so a sheet larger
than one bus request is still checked whole and written in one transaction, or not at all.

A request on the bus is at most 16 KB (about 150 people). The manager console splits a larger
sheet's text into parts at line ends and sends them in order with the same ``sheet`` id, ``part``
0, 1, 2 ... and ``last`` on the final one. Nothing is checked or written before the last part:
then the parts, joined, are the sheet exactly as the file held it (line numbers in the problems
are the file's), and it goes through the same path as a sheet in one request.

Bounds, so a console cannot fill the core's memory: a sheet sent in parts is at most
``MAX_SHEET_BYTES`` (a building's register; a whole compound's goes through ``compound import
people`` on the box), at most ``MAX_SHEETS`` are being received at once (the oldest is dropped),
and one not finished within ``TTL_S`` is dropped. A part out of order drops the sheet: the
console starts again from part 0. A console that stops half-way leaves nothing written.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compound.domain.model import InvalidInput
from compound.domain.paging import flag

MAX_SHEET_BYTES = 1024 * 1024  # about 10,000 people
MAX_SHEETS = 8  # sheets being received at once, over all consoles
TTL_S = 600.0  # a sheet not finished in 10 minutes is dropped


@dataclass
class _Sheet:
    started: float
    parts: list[str] = field(default_factory=list)
    size: int = 0


class SheetParts:
    """The parts of the sheets being received, keyed by the sender's broker user and sheet id."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._now = monotonic
        self._sheets: OrderedDict[tuple[str, str], _Sheet] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, actor: str, p: dict[str, Any], text: str) -> str | None:
        """The whole sheet's text when this request completes it (or is not in parts), None
        when the part is kept for later."""
        sheet = p.get("sheet")
        if sheet is None:
            return text
        if not isinstance(sheet, str) or not 0 < len(sheet) <= 64:
            raise InvalidInput("sheet must be the id of the sheet being sent, 1-64 characters")
        part = p.get("part")
        if not isinstance(part, int) or isinstance(part, bool) or part < 0:
            raise InvalidInput("part must be the part's number, 0 for the first")
        key = (actor, sheet)
        with self._lock:
            self._expire()
            if part == 0:
                self._sheets.pop(key, None)
                self._sheets[key] = _Sheet(self._now())
                while len(self._sheets) > MAX_SHEETS:
                    self._sheets.popitem(last=False)
            got = self._sheets.get(key)
            if got is None or len(got.parts) != part:
                self._sheets.pop(key, None)
                expected = 0 if got is None else len(got.parts)
                raise InvalidInput(
                    f"part {part} of sheet {sheet!r} arrived where part {expected} was expected "
                    "(or the sheet was dropped); nothing was imported: send it again from the start"
                )
            got.size += len(text.encode())
            if got.size > MAX_SHEET_BYTES:
                self._sheets.pop(key, None)
                raise InvalidInput(
                    f"the sheet is over {MAX_SHEET_BYTES // 1024} KB; nothing was imported: "
                    "split it by building, or import it on the box with compound import people"
                )
            got.parts.append(text)
            if not flag(p, "last"):
                return None
            del self._sheets[key]
            return "".join(got.parts)

    def received(self, actor: str, sheet: str) -> int:
        """How many parts of a sheet are kept (for the reply to a part)."""
        with self._lock:
            got = self._sheets.get((actor, sheet))
            return len(got.parts) if got else 0

    def _expire(self) -> None:
        now = self._now()
        for key in [k for k, s in self._sheets.items() if now - s.started > TTL_S]:
            del self._sheets[key]
