"""The wall's community lists (elderly not seen, rental visits due, strangers seen repeatedly),
a page at a time with how many there are in all: "8 / 70", then "9–16 / 70"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Reply
from ui.i18n import Strings

LIST_ROWS = 8  # rows of each community list a page holds until its block says how many fit
LISTS = {"elderly": "elderly.unseen", "visits": "visit.due", "strangers": "strangers.repeat"}


class PagedLists:
    def __init__(self, gateway: Gateway, changed: Callable[[], None]) -> None:
        self.gw = gateway
        self.changed = changed
        # The rows of the page shown (raw, formatted when drawn); None: not on this box.
        self.rows: dict[str, list[Any] | None] = {k: [] for k in LISTS}
        self.totals: dict[str, int] = {}
        self.pages: dict[str, int] = dict.fromkeys(LISTS, 1)
        self._whole: dict[str, list[Any]] = {}  # lists the core sends whole (strangers)
        self._asked: dict[str, int] = dict.fromkeys(LISTS, 0)
        self.size: dict[str, int] = dict.fromkeys(LISTS, LIST_ROWS)  # rows a page holds

    def fit(self, key: str, rows: int) -> None:
        """A page is the rows the list's block shows whole: none is cut off and so skipped
        by the next page. Asked again when that changes."""
        rows = max(1, min(rows, 50))
        if rows == self.size[key]:
            return
        self.size[key], self.pages[key] = rows, 1
        self._show(key)

    def load(self) -> None:
        for key in LISTS:
            self.fetch(key)

    def fetch(self, key: str) -> None:
        self._asked[key] += 1
        asked, page = self._asked[key], self.pages[key]
        self.gw.request(
            LISTS[key],
            {"size": self.size[key], "page": page},
            lambda r: self._on_page(key, page, asked, r),
        )

    def next_page(self, key: str) -> None:
        """The next page, back to the first after the last."""
        total = self.totals.get(key, 0)
        pages = max(1, -(-total // self.size[key]))
        self.pages[key] = self.pages[key] % pages + 1
        self._show(key)

    def _show(self, key: str) -> None:
        """The page now chosen: cut from a list the core sent whole, else asked for."""
        whole = self._whole.get(key)
        if whole is not None:
            self._cut(key, whole)
            self.changed()
        else:
            self.fetch(key)

    def counts(self, key: str) -> str:
        """ "8 / 70" on the first page, "9–16 / 70" after; "" for an empty list."""
        total = self.totals.get(key, 0)
        rows = self.rows.get(key) or []
        if not total:
            return ""
        first = (self.pages[key] - 1) * self.size[key] + 1
        last = first + len(rows) - 1
        return f"{last} / {total}" if first == 1 else f"{first}–{last} / {total}"

    def _on_page(self, key: str, page: int, asked: int, reply: Reply) -> None:
        if asked != self._asked[key]:
            return  # a newer page was asked for meanwhile
        if reply.unavailable:
            self.rows[key] = None
        elif reply.ok and isinstance(reply.result, dict):  # a page: {items, total, ...}
            self.rows[key] = list(reply.result.get("items") or [])
            self.totals[key] = int(reply.result.get("total") or 0)
            if not self.rows[key] and self.totals[key] and page > 1:
                self.pages[key] = 1  # the list shrank under the page: back to the first
                self.fetch(key)
                return
        elif reply.ok and isinstance(reply.result, list):  # strangers.repeat: at most 200
            self._whole[key] = list(reply.result)
            self._cut(key, self._whole[key])
        self.changed()

    def _cut(self, key: str, rows: list[Any]) -> None:
        self.totals[key] = len(rows)
        size = self.size[key]
        if (self.pages[key] - 1) * size >= len(rows):
            self.pages[key] = 1
        start = (self.pages[key] - 1) * size
        self.rows[key] = rows[start : start + size]


def describe_row(row: Any, t: Strings | None = None) -> str:
    """One line for a list row from the community service, in the screen's language."""
    if not isinstance(row, dict):
        return str(row)
    t = t or Strings("en")
    parts = [str(row[k]) for k in ("name", "unit", "track") if row.get(k) not in (None, "")]
    if row.get("hours_unseen") is not None:
        parts.append(t("officer.unseen_days", d=f"{float(row['hours_unseen']) / 24:.1f}"))
    if row.get("days_overdue") is not None:
        parts.append(t("officer.overdue_days", d=row["days_overdue"]))
    if row.get("sightings") is not None:
        parts.append(t("officer.sightings", n=row["sightings"], d=row.get("days", "?")))
    return "  ".join(parts) or str(row)
