"""The manager console's people panel: a search on the core, one page at a time.

The console never holds the whole list of residents: it asks the core's ``person.list`` for
one page of what matches the text typed (a name, initials, a unit, a card, the end of an ID or
phone number), and asks again as the text changes (the screen waits for a pause in typing)
or the page does. Answers can come back out of order; only the latest request's is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ui.gateway import Gateway, Reply
from ui.i18n import Strings
from ui.viewmodels.base import Observable

PAGE_SIZE = 18  # rows of the people panel


class PeopleFinder(Observable):
    def __init__(self, gateway: Gateway, strings: Strings, size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.gw = gateway
        self.t = strings
        self.size = size
        self.query = ""
        self.page = 1
        self.items: list[dict[str, Any]] = []
        self.total = 0
        self.note = ""  # why the page is empty: nothing matches, a refusal, offline
        self._asked = 0  # the latest request; older answers are dropped

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def search(self, text: str) -> None:
        """A new search from the first page."""
        text = text.strip()
        if text == self.query:
            return
        self.query, self.page = text, 1
        self.refresh()

    def next_page(self) -> None:
        if self.page < self.pages:
            self.page += 1
            self.refresh()

    def previous_page(self) -> None:
        if self.page > 1:
            self.page -= 1
            self.refresh()

    def refresh(self) -> None:
        """The current page of the current search, asked again (after a registration too)."""
        self._asked += 1
        asked = self._asked
        params: dict[str, Any] = {"page": self.page, "size": self.size}
        if self.query:
            params["q"] = self.query
        self.gw.request("person.list", params, lambda r: self._on_page(asked, r))

    def _on_page(self, asked: int, reply: Reply) -> None:
        if asked != self._asked:
            return  # typing went on: a newer search is on its way
        if not reply.ok or not isinstance(reply.result, dict):
            self.items, self.total = [], 0
            self.note = self.t("unavailable") if reply.unavailable else reply.error
            self.changed()
            return
        self.items = list(reply.result.get("items") or [])
        self.total = int(reply.result.get("total") or 0)
        if not self.items and self.page > self.pages:
            # People moved out since: the page asked for is past the end now.
            self.page = self.pages
            self.refresh()
            return
        self.note = "" if self.items else self.t("manager.no_match")
        self.changed()


def person_row(t: Strings, p: dict[str, Any]) -> str:
    """A search result as the manager taps it: "王小明  3-2-1501  业主"."""
    return f"{p['name']}  {p['unit']}  {t('role.' + str(p['role']))}"


def numbered(choices: Iterable[tuple[str, int]]) -> dict[str, int]:
    """A dropdown's texts → ids, a second text alike numbered ("张伟 (2)"): two people or two
    cards of one name stay apart."""
    names: dict[str, int] = {}
    for text, id_ in choices:
        name, n = text, 2
        while name in names:
            name, n = f"{text} ({n})", n + 1
        names[name] = id_
    return names
