"""Indoor stations in the store: which station rings for which unit (or desk group).

The property office registers a replaced or new indoor station here (``compound station add``,
or ``station.add`` on the bus); the intercom reads the table on every call, so a change applies
to the next call. The rules for a station id and what it rings for are in
``compound.domain.validation``.
"""

from __future__ import annotations

from typing import Any

from compound.domain import validation
from compound.domain.model import InvalidInput
from compound.store.base import StoreBase


class Stations(StoreBase):
    def add_station(self, station: str, unit: str, desks: tuple[str, ...]) -> dict[str, Any]:
        """Register ``station`` for a unit or one of ``desks``; a station already registered
        moves to the new one (a replaced device keeps its id)."""
        station = validation.station_id(station)
        group = validation.ring_group(unit, desks)
        with self.transaction() as c:
            # A station for a unit nobody registered would ring for no one (a typo in the room).
            if (
                group not in desks
                and not c.execute("SELECT 1 FROM units WHERE address = ?", (group,)).fetchone()
            ):
                raise InvalidInput(
                    f"no unit {group} is registered; add it first (`compound unit add {group}`)"
                )
            old = c.execute(
                "SELECT ring_group FROM intercom_stations WHERE station = ?", (station,)
            ).fetchone()
            c.execute(
                "INSERT INTO intercom_stations (station, ring_group, added_at) VALUES (?, ?, ?)"
                " ON CONFLICT(station) DO UPDATE SET ring_group = excluded.ring_group",
                (station, group, self.clock.now()),
            )
            if old is None or old[0] != group:
                data = {"station": station, "unit": group}
                if old is not None:
                    data["was"] = old[0]
                self.append_event("station.added", data=data)
        return {"station": station, "unit": group}

    def stations(self) -> list[dict[str, Any]]:
        return self.query(
            "SELECT station, ring_group, added_at FROM intercom_stations ORDER BY station"
        )

    def remove_station(self, station: str) -> dict[str, Any]:
        with self.transaction() as c:
            row = c.execute(
                "SELECT ring_group FROM intercom_stations WHERE station = ?", (station,)
            ).fetchone()
            if row is None:
                raise InvalidInput(f"no station {station!r}; see `compound station list`")
            c.execute("DELETE FROM intercom_stations WHERE station = ?", (station,))
            self.append_event("station.removed", data={"station": station, "unit": row[0]})
        return {"station": station, "removed": True}
