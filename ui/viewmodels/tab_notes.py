"""The console's note line, one note per tab: what the last action on a tab said is shown on that
tab only. A request's answer that arrives after the manager changed tab (an import checked for
half a minute, a slow face enrolment, the core offline) is kept for the tab that asked: the tab's
button is marked, and the note is shown when the manager goes back to it. Leaving a tab clears
its note (the next visit starts clean)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Reply

Said = Callable[[], str]  # a note as a function of the language: a switch re-says it


class TabNotes:
    def __init__(self, changed: Callable[[], None], tab: str = "register") -> None:
        self.changed = changed
        self.tab = tab
        self._notes: dict[str, tuple[Said, bool]] = {}
        self._for: str | None = None  # the tab an answer being handled was asked from

    @property
    def text(self) -> str:
        return self._notes.get(self.tab, (str, True))[0]()

    @property
    def ok(self) -> bool:
        return self._notes.get(self.tab, (str, True))[1]

    def said(self) -> Said:
        return self._notes.get(self._for or self.tab, (str, True))[0]

    def tell(self, said: Said, ok: bool = True) -> None:
        """A note for the tab the current answer was asked from (or the tab shown)."""
        self._notes[self._for or self.tab] = (said, ok)
        self.changed()

    def clear(self) -> None:
        self._notes.pop(self._for or self.tab, None)
        self.changed()

    def switch(self, tab: str) -> None:
        """The manager opened ``tab``: the tab left forgets its note; one waiting for the tab
        opened is shown now."""
        if tab != self.tab:
            self._notes.pop(self.tab, None)
            self.tab = tab
            self.changed()

    def waiting(self, tab: str) -> bool:
        """A note came for ``tab`` while another was shown, not read yet."""
        return tab != self.tab and tab in self._notes

    def ask(
        self,
        gw: Gateway,
        method: str,
        params: dict[str, Any],
        callback: Callable[[Reply], None],
        **kw: Any,
    ) -> None:
        """``gw.request``, its answer's notes going to the tab it was asked from (a request
        made while handling an answer belongs to that answer's tab)."""
        tab = self._for or self.tab

        def answered(reply: Reply) -> None:
            before, self._for = self._for, tab
            try:
                callback(reply)
            finally:
                self._for = before

        gw.request(method, params, answered, **kw)
