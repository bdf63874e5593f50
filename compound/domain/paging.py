"""Pages of a list: every list the core serves comes one page at a time.

A request names ``page`` (from 1) and ``size`` (default 50, at most 200); the reply carries the
page's ``items`` with ``total`` (how many there are in all), ``page`` and ``size``, so a screen
can say "page 3 of 12" and a page past the end comes back empty with the right total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compound.domain.model import InvalidInput

DEFAULT_SIZE = 50
MAX_SIZE = 200
# Past this a page number is a mistake, not a wish to read on (200 × 10,000 = 2 million rows).
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    page: int = 1
    size: int = DEFAULT_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def reply(self, items: Sequence[Any], total: int, **extra: Any) -> dict[str, Any]:
        return {"items": list(items), "total": total, "page": self.page, "size": self.size, **extra}

    def cut(self, rows: Sequence[Any], **extra: Any) -> dict[str, Any]:
        """This page of rows already in hand (lists worked out in Python, not in SQL)."""
        return self.reply(rows[self.offset : self.offset + self.size], len(rows), **extra)


def whole(params: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter from ``low`` to ``high`` (``default`` when not given)."""
    return _whole(params, key, default, low, high)


def _whole(params: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidInput(f"{key} must be a whole number from {low} to {high}")
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{key} must be a whole number from {low} to {high}") from None
    if n != value and not isinstance(value, str):
        raise InvalidInput(f"{key} must be a whole number from {low} to {high}")
    if not low <= n <= high:
        raise InvalidInput(f"{key} must be a whole number from {low} to {high}")
    return n


def page_of(params: Mapping[str, Any], default_size: int = DEFAULT_SIZE) -> Page:
    """The page a request asks for; refuses what no screen would ask (size 0, 10,000, -1)."""
    return Page(
        _whole(params, "page", 1, 1, MAX_PAGE),
        _whole(params, "size", default_size, 1, MAX_SIZE),
    )


def flag(params: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """A yes/no parameter: JSON true/false (or 0/1); "false" the string is not taken as yes."""
    value = params.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise InvalidInput(f"{key} must be true or false")
