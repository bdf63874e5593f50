"""The person the credentials tab works on, picked from the core's search (a name, pinyin
initials, a unit, the end of an ID or phone number, a card), never typed as an id. Once picked,
their live credentials are read from ``person.show`` for a revocation to choose from; the
confirmations of a revocation and of a move-out name the person and their unit."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Reply
from ui.i18n import Strings
from ui.viewmodels.base import Observable
from ui.viewmodels.people import PeopleFinder, person_row

RESULTS = 5  # result rows on the credentials tab, above the pass's QR code


class PersonPick(Observable):
    def __init__(self, gateway: Gateway, strings: Strings, size: int = RESULTS) -> None:
        super().__init__()
        self.gw = gateway
        self.t = strings
        self.finder = PeopleFinder(gateway, strings, size=size)
        self.finder.listeners.append(self.changed)
        self.chosen: dict[str, Any] | None = None
        self.credentials: list[dict[str, Any]] = []  # the chosen person's live ones
        self._asked = 0

    @property
    def person_id(self) -> int | None:
        return int(self.chosen["id"]) if self.chosen else None

    def pick(self, i: int) -> None:
        """The ``i``-th result of the page shown becomes the person worked on."""
        items = self.finder.items
        if i < len(items):
            self.chosen = dict(items[i])
            self.credentials = []
            self.changed()
            self.reload()

    def forget(self) -> None:
        """After a move-out: the person is gone, nothing more is done to them by mistake."""
        self.chosen, self.credentials = None, []
        self.finder.refresh()
        self.changed()

    def reload(self) -> None:
        """The chosen person's live credentials again (after one was issued or revoked)."""
        pid = self.person_id
        if pid is None:
            return
        self._asked += 1
        asked = self._asked

        def got(reply: Reply) -> None:
            if asked != self._asked or not reply.ok or not isinstance(reply.result, dict):
                return
            self.credentials = [
                c
                for c in reply.result.get("credentials") or []
                if c.get("revoked_at") is None and c.get("kind") in ("card", "pin", "pass")
            ]
            self.changed()

        self.gw.request("person.show", {"id": pid}, got)

    def revoke(self, credential_id: int, done: Callable[[Reply], None]) -> None:
        def answered(reply: Reply) -> None:
            self.reload()
            done(reply)

        params = {"id": credential_id, "by": "manager console"}
        self.gw.request("credential.revoke", params, answered)

    # -- what the screen shows -------------------------------------------------------------

    def result_text(self, p: dict[str, Any]) -> str:
        return person_row(self.t, p)

    @property
    def chosen_text(self) -> str:
        p = self.chosen
        if p is None:
            return self.t("creds.none_chosen")
        return self.t("creds.chosen", name=p["name"], unit=p["unit"])

    def credential_text(self, c: dict[str, Any]) -> str:
        """A credential as a revocation offers it: "门卡 …5678", "密码", "访客码 05-01 18:00"."""
        kind, label = str(c.get("kind")), str(c.get("label") or "")
        text = self.t(f"cred.{kind}")
        if kind == "card" and label:
            text += f" …{label.split('…')[-1][-4:]}"  # the last digits only, as the core masks
        elif kind == "pass" and c.get("valid_until"):
            text += " " + time.strftime("%m-%d %H:%M", time.localtime(float(c["valid_until"])))
        return text

    def question(self, key: str, **kw: Any) -> str:
        """A confirmation naming the chosen person and unit ("" when none is chosen)."""
        p = self.chosen
        return "" if p is None else self.t(key, name=p["name"], unit=p["unit"], **kw)
