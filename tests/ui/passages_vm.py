"""A small stand-in for the part of the wall's view model that its passage lines read (a unit
test of the screen part): its words, the passages kept, and each passage's line."""

from __future__ import annotations

from collections import deque
from typing import Any


class Words:
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **_: Any) -> str:
        nothing = {"zh": "无", "en": "none yet"}[self.lang]
        return {"officer.none": nothing}.get(key, key)


class PassagesVM:
    """``keep`` passages; a person is named once ``known`` has them (``#id`` before); the lines
    worded are counted in ``lines_made``."""

    def __init__(self, lang: str = "en", keep: int = 5) -> None:
        self.t = Words(lang)
        self.passages: deque[dict[str, Any]] = deque(maxlen=keep)
        self.known: dict[int, str] = {}
        self.lines_made = 0

    def person_name(self, pid: Any) -> str:
        return self.known.get(pid, f"#{pid}")

    def passage_line(self, e: dict[str, Any]) -> str:
        self.lines_made += 1
        return self.line(e)

    def line(self, e: dict[str, Any]) -> str:
        return f"passage {e['n']} {self.t.lang}"
