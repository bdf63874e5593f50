"""events.page for several doors at once (the wall's building filter): the events of any of
them, newest first, paged by cursor without a gap or a repeat; nothing of other doors."""

from __future__ import annotations

import pytest

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.store.db import Store
from tests.compound.test_people_search import api


def test_a_buildings_doors_page_together(store: Store, clock: ManualClock) -> None:
    page = api(store, clock)["events.page"]
    t0 = 1_800_000_000
    for i in range(90):  # building 3's two entrances and a gate, in turn
        door = ("b3-e1", "b3-e2", "gate")[i % 3]
        store.append_event("access.granted", at=t0 + i, door_id=door, data={"i": i})
    got, before = [], None
    while True:
        p = page(
            {"doors": ["b3-e1", "b3-e2"], "types": ["access.granted"], "size": 7, "before": before}
        )
        got += [e["data"]["i"] for e in p["items"]]
        assert {e["door_id"] for e in p["items"]} <= {"b3-e1", "b3-e2"}
        before = p["next_before"]
        if before is None:
            break
    assert got == [i for i in range(89, -1, -1) if i % 3 != 2]
    since = page({"doors": ["b3-e2"], "since": t0 + 80, "size": 50})["items"]
    assert [e["data"]["i"] for e in since] == [88, 85, 82]
    for bad in ([], "b3-e1", ["b3/e1"], ["x"] * 51):
        with pytest.raises(InvalidInput, match="doors must be"):
            page({"doors": bad})
    with pytest.raises(InvalidInput, match="not both"):
        page({"doors": ["b3-e1"], "door": "gate"})
