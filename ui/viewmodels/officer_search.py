"""The wall's passage search: a person's passages by id or (part of) a name. The core's answer
is kept as it came and put into words when drawn, so the language switch applies to it; a
name that matches many people is paged (20 people a page, with how many in all)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Reply
from ui.i18n import Strings

SEARCH_LINES = 60  # passages the wall lists, newest first


class PassageSearch:
    def __init__(self, gateway: Gateway, changed: Callable[[], None]) -> None:
        self.gw = gateway
        self.changed = changed
        self.text = ""
        self.page = 1
        self.state = ""  # "", "unavailable", "error", "done"
        self.error = ""
        self.people: list[dict[str, Any]] = []
        self.total = 0
        self._asked = 0

    def search(self, text: str, page: int = 1) -> None:
        text = text.strip()
        if not text:
            return
        self.text, self.page = text, page
        params: dict[str, Any] = {"person": int(text)} if text.isdigit() else {"name": text}
        if not text.isdigit():
            params["page"] = page
        self._asked += 1
        asked = self._asked
        self.gw.request("passages.search", params, lambda r: self._done(r, asked))

    def next_page(self) -> None:
        """The next 20 people matching the name, back to the first after the last."""
        pages = max(1, -(-self.total // 20))
        if self.text and pages > 1:
            self.search(self.text, self.page % pages + 1)

    def _done(self, reply: Reply, asked: int) -> None:
        if asked != self._asked:
            return  # an older search answered late
        self.people, self.total, self.error = [], 0, ""
        if reply.unavailable:
            self.state = "unavailable"
        elif not reply.ok:
            self.state, self.error = "error", reply.error
        else:
            result = reply.result if isinstance(reply.result, dict) else {}
            self.people = list(result.get("people") or [])
            self.total = int(result.get("total") or len(self.people))
            self.state = "done"
        self.changed()

    def events(self) -> list[dict[str, Any]]:
        """The passages found, as log events, newest first."""
        out = [
            {
                "at": ps.get("at"),
                "type": "access.granted" if ps.get("granted") else "access.denied",
                "person_id": person.get("id"),
                "door_id": ps.get("door"),
                "data": {"kind": ps.get("credential") or "", "reason": ps.get("reason") or ""},
            }
            for person in self.people
            for ps in person.get("passages") or []
        ]
        out.sort(key=lambda e: -float(e.get("at") or 0))
        return out[:SEARCH_LINES]

    def summary(self, t: Strings) -> str:
        """Who was found and how many: "张伟 3-2-1501: 12 passages" or "20 / 244 people"."""
        if self.state == "unavailable":
            return t("unavailable")
        if self.state == "error":
            return t("error", message=self.error)
        if self.state != "done":
            return ""
        if not self.people:
            return t("officer.none")
        passages = sum(len(p.get("passages") or []) for p in self.people)
        if self.total <= 1:
            person = self.people[0]
            who = f"{person.get('name')} {person.get('unit', '')}".strip()
            return t("officer.search_one", who=who, n=passages)
        first = (self.page - 1) * 20 + 1
        last = first + len(self.people) - 1
        shown = f"{last}" if first == 1 else f"{first}–{last}"
        more = f" · {t('officer.page_hint')}" if self.total > 20 else ""
        return t("officer.search_many", shown=shown, total=self.total, n=passages) + more
