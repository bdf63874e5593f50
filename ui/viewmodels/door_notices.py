"""The door panel's notices: asked of the core for this door, shown a page of text at a time.

The panel asks ``notice.list`` {door, active} and the core answers with the notices showing now
at this door (those for a building it serves and those for the whole compound), newest first,
at most ``MAX_SIZE`` a reply; a full reply means there may be more, and the next page is asked
for, so none is dropped. The core answers a panel for its own door only. The retained
``notice`` topic only says that the notices changed (a fence): the panel asks again, and an
answer to an earlier question that comes after a later one is dropped. A question that gets no
answer (the core's queue was full as every panel asked at once, the core was restarting) is
asked again after ``RETRY_S``; what is shown stays meanwhile.

An older core is still understood: one that sends the notices themselves on the topic (they are
taken as they come), and one that answers the list without looking at ``door``: each notice is
checked against the door's buildings (``door.show``) either way, which changes nothing where
the core has already picked them.

Each notice is split into pages of text that fit the panel (``split_notice``), turned by
themselves every ``NOTICE_PAGE_S`` and at a touch, with a "2/5" count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compound.domain.clock import Clock
from compound.domain.paging import MAX_SIZE
from ui.gateway import Gateway, Live, Reply
from ui.viewmodels.door_parse import notice_for, parse_notices, split_notice

NOTICE_PAGE_S = 8.0  # a notice page stays this long before the next one
NOTICE_PAGE_CHARS = 90  # what the notices panel shows without cutting a line
MAX_PAGES = 5  # 1,000 notices showing at one door: past this a reply is a mistake
RETRY_S = 30.0  # an unanswered question is asked again after this long


def listed(result: Any) -> list[dict[str, Any]] | None:
    """The notices of a ``notice.list`` answer (a list; ``{notices: [...]}`` or ``{items}``
    accepted too), or None when it is not one."""
    if isinstance(result, dict):
        result = result.get("items", result.get("notices"))
    if not isinstance(result, list):
        return None
    return [n for n in result if isinstance(n, dict)]


class DoorNotices:
    def __init__(
        self, gateway: Gateway, clock: Clock, door: str, changed: Callable[[], None]
    ) -> None:
        self.gw = gateway
        self.clock = clock
        self.door = door
        self.changed = changed
        self.served: set[str] | None = None  # the door's buildings (door.show); None: all
        self.posted: list[dict[str, str]] = []  # as the core gave them
        self.shown: list[dict[str, str]] = []  # those for the door's buildings
        self.pages: list[str] = []
        self.page = 0
        self.page_at = clock.now()
        self._asked = 0  # the latest question; answers to earlier ones are dropped
        self._retry_at: float | None = None  # when to ask again, the last question unanswered

    def load(self) -> None:
        """Ask the core for this door's notices showing now, from the first page."""
        self._asked += 1
        self._retry_at = None
        self._ask(1, self._asked, [])

    def _ask(self, page: int, asked: int, got: list[dict[str, Any]]) -> None:
        params = {"door": self.door, "active": True, "page": page, "size": MAX_SIZE}
        self.gw.request("notice.list", params, lambda r: self._on_page(r, page, asked, got))

    def _on_page(self, reply: Reply, page: int, asked: int, got: list[dict[str, Any]]) -> None:
        items = listed(reply.result) if reply.ok else None
        if asked != self._asked:
            return  # a later question is on its way
        if items is None:  # what is shown stays; asked again later unless the core has no list
            self._retry_at = None if reply.unavailable else self.clock.now() + RETRY_S
            return
        seen = {n.get("id") for n in got if n.get("id") is not None}
        new = [n for n in items if n.get("id") is None or n.get("id") not in seen]
        got = got + new
        # A full page may have a next one; a page with nothing new is a core that does not
        # page (it sent the same again): stop there.
        if len(items) >= MAX_SIZE and new and page < MAX_PAGES:
            self._ask(page + 1, asked, got)
            return
        self.take(parse_notices(got))

    def on_live(self, live: Live) -> None:
        """The retained topic: the notices changed (ask again), or an older core's notices."""
        body = live.json()
        if isinstance(body, dict) and isinstance(body.get("notices"), list):
            self._asked += 1  # the topic's word is newer than any answer still coming
            self._retry_at = None
            self.take(parse_notices(body))
        else:
            self.load()

    def set_served(self, served: set[str] | None) -> None:
        self.served = served
        self.take(self.posted)

    def take(self, notices: list[dict[str, str]]) -> None:
        self.posted = notices
        self.shown = [n for n in notices if notice_for(n, self.served)]
        pages = [p for n in self.shown for p in split_notice(n["text"], NOTICE_PAGE_CHARS)]
        if pages != self.pages:
            self.page, self.page_at = 0, self.clock.now()
        self.pages = pages
        self.changed()

    def tick(self, now: float) -> None:
        if self._retry_at is not None and now >= self._retry_at:
            self.load()
        if len(self.pages) > 1 and now - self.page_at >= NOTICE_PAGE_S:
            self.page = (self.page + 1) % len(self.pages)
            self.page_at = now

    def next(self) -> None:
        if self.pages:
            self.page = (self.page + 1) % len(self.pages)
            self.page_at = self.clock.now()

    @property
    def text(self) -> str | None:
        """The page on screen; None when there is no notice."""
        return self.pages[min(self.page, len(self.pages) - 1)] if self.pages else None

    @property
    def count(self) -> str:
        """The page indicator ("1/3"); empty with one page or none."""
        n = len(self.pages)
        return f"{min(self.page, n - 1) + 1}/{n}" if n > 1 else ""
