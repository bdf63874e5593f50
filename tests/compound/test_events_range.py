"""events.page with a time range: the wall's event viewer asks for a door's, a person's or a
kind's events between two times; each path stays on its index and pages by cursor."""

from __future__ import annotations

import pytest

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.store.db import Store
from tests.compound.test_people_search import api


def test_a_time_range_limits_every_kind_of_page(store: Store, clock: ManualClock) -> None:
    page = api(store, clock)["events.page"]
    t0 = 1_800_000_000
    for i in range(100):  # one passage a minute at two doors, by two people
        store.append_event(
            "access.granted", at=t0 + i * 60, door_id=f"d{i % 2}", person_id=i % 2, data={"i": i}
        )
        store.append_event("door.opened", at=t0 + i * 60 + 1, door_id=f"d{i % 2}")
    since, until = t0 + 20 * 60, t0 + 40 * 60  # minutes 20 to 39

    def walk(params: dict) -> list[int]:
        got, before = [], None
        while True:
            p = page({**params, "since": since, "until": until, "size": 3, "before": before})
            got += [e["data"]["i"] for e in p["items"]]
            before = p["next_before"]
            if before is None:
                return got

    assert walk({"types": ["access.granted"]}) == list(range(39, 19, -1))
    assert walk({"door": "d1", "types": ["access.granted"]}) == list(range(39, 20, -2))
    assert walk({"person": 0}) == list(range(38, 19, -2))
    everything = page({"since": since, "until": until, "size": 200})["items"]
    assert len(everything) == 40 and all(since <= e["at"] < until for e in everything)
    # Only the start, or a range after the last event.
    assert len(page({"since": t0 + 99 * 60, "size": 200})["items"]) == 2
    assert page({"since": t0 + 10**6, "door": "d0", "size": 10})["items"] == []
    with pytest.raises(InvalidInput, match="after its start"):
        page({"since": until, "until": since})
    with pytest.raises(InvalidInput, match="since must be a number"):
        page({"since": "yesterday"})
