"""Bus API for the manager console's household view and its page of indoor stations.

``household.show`` ``{"person": ID}`` (or ``{"household": ID}``): the home a person lives in
as the property office looks at it: the unit, its household's class (重点户 / 一般户 / 放心户; the
household ``household.set_class`` with the unit's address would class: its rental household
if it has one), everyone living in the unit (an owner's family and a tenant's are separate
households) with their role, tenant layer, lease and live credentials (cards shown by their
last four digits only, ID numbers and phones masked), and the latest visits.

``station.page`` ``{"q": "3-2", "page", "size"}``: one page of the indoor stations, in
address order, those whose unit starts with ``q`` or whose id contains it (a compound has a
station in most of its thousands of units). ``station.list`` ``{"page", "size"}``: the
stations by id, one page (a list, at most 200).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from compound.domain.model import InvalidInput
from compound.domain.paging import MAX_SIZE, page_of
from compound.services import rental
from compound.services.extension import Offers
from compound.services.people_api import person_details

if TYPE_CHECKING:
    from compound.services.core import Core
    from compound.store.db import Store

MAX_PEOPLE = 50  # people of one household shown (a real one has a handful)
VISITS_SHOWN = 10


def _id(params: dict[str, Any], key: str) -> int:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{key} must be a number")
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{key} must be a number") from None


def household_of(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("person") is not None:
        hid = store.person(_id(params, "person")).household_id
    else:
        hid = _id(params, "household")
    unit = store.one(
        "SELECT u.id, u.address FROM households h JOIN units u ON u.id = h.unit_id WHERE h.id = ?",
        (hid,),
    )
    if unit is None:
        raise InvalidInput(f"unknown household {hid}")
    with contextlib.suppress(InvalidInput):  # a unit whose households all closed: the one given
        hid = rental.household_id(store, unit["address"])
    head = store.one(
        "SELECT h.id, h.rental, h.closed_at, u.address, hc.class, hc.set_by"
        " FROM households h JOIN units u ON u.id = h.unit_id"
        " LEFT JOIN household_classes hc ON hc.household_id = h.id WHERE h.id = ?",
        (hid,),
    )
    if head is None:
        raise InvalidInput(f"unknown household {hid}")
    now = store.clock.now()
    rows = store.read(
        "SELECT p.id, tp.layer, tp.origin FROM people p"
        " LEFT JOIN tenant_profiles tp ON tp.person_id = p.id"
        " JOIN households h ON h.id = p.household_id"
        " WHERE h.unit_id = ? AND p.moved_out_at IS NULL ORDER BY p.id LIMIT ?",
        (unit["id"], MAX_PEOPLE),
    )
    people = []
    for r in rows:
        d = person_details(store, int(r["id"]))
        d["credentials"] = [
            c
            for c in d["credentials"]
            if c["revoked_at"] is None and (c["valid_until"] is None or c["valid_until"] > now)
        ]
        d["layer"], d["origin"] = r["layer"], r["origin"]
        people.append(d)
    visits = store.read(
        "SELECT v.id, v.at, v.by, v.notes, v.person_id, p.name FROM visits v"
        " LEFT JOIN people p ON p.id = v.person_id"
        " WHERE v.household_id IN (SELECT id FROM households WHERE unit_id = ?)"
        " OR v.person_id IN (SELECT p.id FROM people p JOIN households h"
        " ON h.id = p.household_id WHERE h.unit_id = ?) ORDER BY v.at DESC LIMIT ?",
        (unit["id"], unit["id"], VISITS_SHOWN),
    )
    return {
        "household": hid,
        "unit": head["address"],
        "rental": bool(head["rental"]),
        "closed": head["closed_at"] is not None,
        "class": head["class"],
        "class_set_by": head["set_by"],
        "people": people,
        "visits": visits,
    }


def station_page(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    page = page_of(params)
    q = str(params.get("q") or "").strip()
    where, args = "", ()  # type: tuple[str, tuple[str, ...]]
    if q:
        # A LIKE pattern from typed text: its own wildcards are taken literally.
        text = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where = " WHERE ring_group LIKE ? ESCAPE '\\' OR station LIKE ? ESCAPE '\\'"
        args = (text + "%", "%" + text + "%")
    # ``where`` is one of two fixed texts; the typed text goes in as parameters.
    count = "SELECT COUNT(*) AS n FROM intercom_stations" + where  # noqa: S608
    total = store.read(count, args)[0]["n"]
    items = store.read(
        "SELECT station, ring_group AS unit, added_at FROM intercom_stations"  # noqa: S608
        + where
        + " ORDER BY CAST(ring_group AS INTEGER), ring_group, station LIMIT ? OFFSET ?",
        (*args, page.size, page.offset),
    )
    return page.reply(items, int(total))


def station_list(store: Store, params: dict[str, Any]) -> list[dict[str, Any]]:
    page = page_of(params, default_size=MAX_SIZE)
    return store.read(
        "SELECT station, ring_group, added_at FROM intercom_stations ORDER BY station"
        " LIMIT ? OFFSET ?",
        (page.size, page.offset),
    )


class HouseholdApi:
    def __init__(self, core: Core) -> None:
        self.core = core

    def offers(self) -> Offers:
        s = self.core.store
        return Offers(
            api={
                "household.show": lambda p: household_of(s, p),
                "station.page": lambda p: station_page(s, p),
                "station.list": lambda p: station_list(s, p),
            }
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
