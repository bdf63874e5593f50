"""The core's doors a page at a time (``door.list``: at most 200 a reply, with the total).

A screen that shows every door (the officer wall's tiles and map, the manager's plan) asks for
the first page, then the next while the total says there are more; each page is handed over
as it comes, so the first 200 doors are drawn before the rest are asked for. A reload starts
again from the first page and drops the answers still coming for the one before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compound.domain.paging import MAX_SIZE
from ui.gateway import Gateway, Reply

MAX_PAGES = 50  # 10,000 doors: past this a total is a mistake, not a compound


def page_items(reply: Reply) -> list[dict[str, Any]] | None:
    """The doors of a ``door.list`` page, or None when the reply is not one."""
    if not reply.ok or not isinstance(reply.result, dict):
        return None
    return [d for d in reply.result.get("items") or [] if isinstance(d, dict) and d.get("id")]


class DoorPages:
    def __init__(
        self,
        gateway: Gateway,
        on_page: Callable[[list[dict[str, Any]]], None],
        size: int = MAX_SIZE,
    ) -> None:
        self.gw = gateway
        self.on_page = on_page
        self.size = size
        self.total: int | None = None  # None until the first page came
        self.pages = 0  # pages received in the current load
        self._load = 0

    @property
    def complete(self) -> bool:
        return self.total is not None and self.pages * self.size >= self.total

    def load(self) -> None:
        self._load += 1
        self.pages = 0
        self._ask(1, self._load)

    def _ask(self, page: int, load: int) -> None:
        self.gw.request(
            "door.list", {"page": page, "size": self.size}, lambda r: self._on(r, page, load)
        )

    def _on(self, reply: Reply, page: int, load: int) -> None:
        items = page_items(reply)
        if load != self._load or items is None:
            return
        self.total = int(reply.result.get("total") or 0)
        self.pages = page
        self.on_page(items)
        if items and not self.complete and page < MAX_PAGES:
            self._ask(page + 1, load)
