"""Names of the people in the wall's passage lines, asked of the core by id as they appear: the
wall never downloads the person list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Reply

NAMES_KEPT = 5000  # names remembered; older ones are asked again
ASKED_AT_ONCE = 200  # ids in one request (the core's bound)


class PersonNames:
    def __init__(self, gateway: Gateway, changed: Callable[[], None]) -> None:
        self.gw = gateway
        self.changed = changed
        self._known: dict[int, str] = {}
        self._asking: set[int] = set()

    def name(self, pid: Any) -> str:
        """The person's name, ``#id`` until it is known, ``?`` without an id."""
        if pid is None:
            return "?"
        return self._known.get(int(pid), f"#{pid}")

    def want(self, ids: list[Any]) -> bool:
        """Ask for the names not known yet; True when one is on its way (its answer, or its
        failure, calls ``changed``)."""
        wanted = {int(i) for i in ids if i is not None} - self._known.keys()
        missing = sorted(wanted - self._asking)[:ASKED_AT_ONCE]
        if not missing:
            return bool(wanted)
        self._asking.update(missing)

        def done(reply: Reply) -> None:
            self._asking.difference_update(missing)
            if reply.ok and isinstance(reply.result, dict):
                self._known.update({int(k): str(v) for k, v in reply.result.items()})
                for old in list(self._known)[: max(0, len(self._known) - NAMES_KEPT)]:
                    del self._known[old]
            self.changed()  # a lost answer too: the passage then shows the person's number

        self.gw.request("person.names", {"ids": missing}, done)
        return True
