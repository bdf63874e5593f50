"""The door panel's notices: asked of the core for this door, shown a page of text at a time.

The panel asks ``notice.list`` {door, active} and the core answers with the notices showing now
at this door (those for a building it serves and those for the whole compound), newest first,
at most ``MAX_SIZE`` a reply; a full reply means there may be more, and the next page is asked
for, so none is dropped. The core answers a panel for its own door only. The retained
``notice`` topic only says that the notices changed (a fence): the panel asks again, and an
answer to an earlier question that comes after a later one is dropped. A question that gets no
answer, or is refused, is asked again after a backoff (``RETRY_FIRST_S``, doubled each time
up to ``RETRY_MAX_S``, each a little shortened at random so that panels started together do not
stay in step), until a list comes; what is shown stays meanwhile. While the core does not
answer at all (``lost``), the panel's banner tells residents to use their card.

Every panel gets the word at the same instant, and asking at once would put 156 questions in
the core's queue of 200 together. So each waits a random part of ``SPREAD_S`` before asking
(the residents at the panel keep seeing the notices shown until the new ones arrive); a later
word while it waits changes nothing (one question, asked when it was due, reads the newest),
and a word equal to the last one acted on is no change at all (the core says it again when it
restarts, the broker again on every reconnect) and asks nothing. The wait is counted by
``tick`` (once a second), so a question goes at the first tick after its time.

An older core is still understood: one that sends the notices themselves on the topic (they are
taken as they come), and one that answers the list without looking at ``door``: each notice is
checked against the door's buildings (``door.show``) either way, which changes nothing where
the core has already picked them.

Each notice is split into pages of text that fit the panel (``split_notice``), turned by
themselves every ``NOTICE_PAGE_S`` and at a touch, with a "2/5" count.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from compound.domain.clock import Clock
from compound.domain.paging import MAX_SIZE
from ui.gateway import Gateway, Live, Reply
from ui.viewmodels.door_parse import notice_for, parse_notices, split_notice

NOTICE_PAGE_S = 8.0  # a notice page stays this long before the next one
NOTICE_PAGE_CHARS = 90  # what the notices panel shows without cutting a line
MAX_PAGES = 5  # 1,000 notices showing at one door: past this a reply is a mistake
SPREAD_S = 5.0  # after the word that the notices changed, each panel asks within this long
RETRY_FIRST_S = 2.0  # a question without a list is asked again after this long,
RETRY_MAX_S = 30.0  # doubled each time up to this


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
        self,
        gateway: Gateway,
        clock: Clock,
        door: str,
        changed: Callable[[], None],
        spread_s: float = SPREAD_S,
        rand: Callable[[], float] | None = None,
    ) -> None:
        """``spread_s``: the longest wait before asking after a change (0: ask at once);
        ``rand``: a number in [0, 1) for each wait (a seeded one in tests and benches)."""
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
        self.spread_s = spread_s
        # Not a secret: only when in its window a panel asks.
        self.rand = rand or random.Random().random  # noqa: S311
        self._asked = 0  # the latest question; answers to earlier ones are dropped
        self._ask_at: float | None = None  # when the one question waiting is due
        self._failed = 0  # questions in a row that brought no list
        self._word: Any = None  # the last "changed" word acted on
        self.lost = False  # the last question got no answer at all, and none came since

    def load(self) -> None:
        """Ask the core for this door's notices showing now, from the first page."""
        self._asked += 1
        self._ask_at = None
        self._ask(1, self._asked, [])

    def _ask(self, page: int, asked: int, got: list[dict[str, Any]]) -> None:
        params = {"door": self.door, "active": True, "page": page, "size": MAX_SIZE}
        self.gw.request("notice.list", params, lambda r: self._on_page(r, page, asked, got))

    def _on_page(self, reply: Reply, page: int, asked: int, got: list[dict[str, Any]]) -> None:
        items = listed(reply.result) if reply.ok else None
        if asked != self._asked:
            return  # a later question is on its way
        if items is None:  # what is shown stays; asked again later unless the core has no list
            self._no_list(reply)
            return
        seen = {n.get("id") for n in got if n.get("id") is not None}
        new = [n for n in items if n.get("id") is None or n.get("id") not in seen]
        got = got + new
        # A full page may have a next one; a page with nothing new is a core that does not
        # page (it sent the same again): stop there.
        if len(items) >= MAX_SIZE and new and page < MAX_PAGES:
            self._ask(page + 1, asked, got)
            return
        self._failed, self.lost = 0, False
        self.take(parse_notices(got))

    def _no_list(self, reply: Reply) -> None:
        if reply.unavailable:
            self._ask_at = None
            return
        self._failed += 1
        step = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** min(self._failed - 1, 16))
        self._due(self.clock.now() + step * (1 - self.rand() / 2))
        if reply.lost != self.lost:
            self.lost = reply.lost
            self.changed()

    def _due(self, at: float) -> None:
        """One question waits at most: the earlier time stands."""
        self._ask_at = at if self._ask_at is None else min(self._ask_at, at)

    def on_live(self, live: Live) -> None:
        """The retained topic: the notices changed (ask again), or an older core's notices."""
        body = live.json()
        if isinstance(body, dict) and isinstance(body.get("notices"), list):
            self._asked += 1  # the topic's word is newer than any answer still coming
            self._ask_at, self._failed, self.lost = None, 0, False
            self.take(parse_notices(body))
            return
        word = body.get("changed") if isinstance(body, dict) else None
        if word is not None and word == self._word:
            return  # said again, not changed: what was asked after it last time still holds
        self._word = word
        if self.spread_s <= 0:
            self.load()
        else:
            self._due(self.clock.now() + self.rand() * self.spread_s)

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
        if self._ask_at is not None and now >= self._ask_at:
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
