"""``door.list`` and ``door.show`` as the core answers them (services/core_lists.py), for the
viewmodel tests on a fake gateway: pages in natural order with the total, one door by id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compound.domain.model import InvalidInput
from compound.domain.ordering import natural_key
from compound.domain.paging import MAX_SIZE, page_of


def door_api(
    doors: list[dict[str, Any]], schedule_of: Mapping[str, str] | None = None
) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """The two methods over ``doors``; ``schedule_of`` (door → schedule name) is read at each
    call, so a fake ``door.set_schedule`` that changes it shows in the next page."""

    def item(d: dict[str, Any]) -> dict[str, Any]:
        return {"state": "unknown", **d, "schedule": (schedule_of or {}).get(d["id"])}

    def listing(p: dict[str, Any]) -> dict[str, Any]:
        ordered = sorted(doors, key=lambda d: natural_key(str(d["id"])))
        return page_of(p, default_size=MAX_SIZE).cut([item(d) for d in ordered])

    def show(p: dict[str, Any]) -> dict[str, Any]:
        found = [d for d in doors if d["id"] == p.get("door")]
        if not found:
            raise InvalidInput(f"unknown door {p.get('door')!r}; see `compound door list`")
        return item(found[0])

    return {"door.list": listing, "door.show": show}
