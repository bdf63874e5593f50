"""The console's indoor stations: one page at a time from the core (``station.page``), found by
unit or station id; register one (``station.add``: a replaced device keeps its id and moves to
the new unit) and remove one after a confirmation that names its unit.

A station's login on the bus is not made here: it is created on the box with
``compound devices add --role station`` (a password is not something a touchscreen should show).
"""

from __future__ import annotations

from typing import Any

from ui.gateway import Gateway, Reply
from ui.i18n import Strings
from ui.viewmodels.schedules import Noted

PAGE_SIZE = 7  # rows that fit the page at 1280×800


class StationsVM(Noted):
    def __init__(self, gateway: Gateway, strings: Strings, size: int = PAGE_SIZE) -> None:
        super().__init__(gateway, strings)
        self.size = size
        self.query = ""
        self.page = 1
        self.items: list[dict[str, Any]] = []
        self.total = 0
        self.chosen: dict[str, Any] | None = None  # the station a removal would take
        self._asked = 0
        self.saved = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def search(self, text: str) -> None:
        self.query, self.page = text.strip(), 1
        self.load()

    def turn(self, step: int) -> None:
        page = max(1, min(self.pages, self.page + step))
        if page != self.page:
            self.page = page
            self.load()

    def load(self) -> None:
        self._asked += 1
        asked = self._asked
        params: dict[str, Any] = {"page": self.page, "size": self.size}
        if self.query:
            params["q"] = self.query

        def got(result: Any) -> None:
            if asked != self._asked:
                return  # a newer search is on its way
            r = result if isinstance(result, dict) else {}
            self.items = [i for i in r.get("items") or [] if isinstance(i, dict)]
            self.total = int(r.get("total") or 0)
            if self.chosen is not None and self.chosen not in self.items:
                self.chosen = None
            self.changed()

        self.gw.request("station.page", params, self.then(got))

    def choose(self, station: dict[str, Any]) -> None:
        self.chosen = station
        self.changed()

    def add(self, station: str, unit: str) -> None:
        """Register a station for a unit that exists: a mistyped room would otherwise take the
        station silently, and calls to the real one would not ring it."""
        station, unit = station.strip(), unit.strip()

        def known(reply: Reply) -> None:
            items = (
                reply.result.get("items") if reply.ok and isinstance(reply.result, dict) else None
            )
            if items is not None and unit not in {str(u.get("address")) for u in items}:
                self.tell("console.no_such_unit", False, unit=unit)
                return
            # Not an address (a desk group), or not checkable: the core decides.
            self._add(station, unit)

        self.gw.request("unit.list", {"q": unit, "size": 5}, known)

    def _add(self, station: str, unit: str) -> None:
        def done(result: Any) -> None:
            r = result if isinstance(result, dict) else {}
            self.saved += 1  # the screen clears its form
            self.tell("console.station_added", station=r.get("station"), unit=r.get("unit"))
            self.load()

        self.gw.request("station.add", {"station": station, "unit": unit}, self.then(done))

    def removal_question(self) -> str:
        """What the confirmation asks, naming the station's unit; "" when none is chosen."""
        c = self.chosen
        if c is None:
            return ""
        return self.t("console.station_remove_ask", station=c["station"], unit=c["unit"])

    def remove(self) -> None:
        """Remove the chosen station (the screen asks first, with ``removal_question``)."""
        c = self.chosen
        if c is None:
            self.tell("console.pick_station", False)
            return

        def done(_result: Any) -> None:
            self.chosen = None
            self.tell("console.station_removed", station=c["station"], unit=c["unit"])
            self.load()

        self.gw.request("station.remove", {"station": c["station"]}, self.then(done))
