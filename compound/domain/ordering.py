"""The order people read ids and numbers in: runs of digits as numbers, so b6 comes before b50
and b9-e2 before b10-e1 (text order puts 50…59 before 6)."""

from __future__ import annotations

import re
from typing import Any

_RUNS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key reading runs of digits as numbers, letters without regard to case."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in _RUNS.split(text)
        if part
    )
