"""The notices showing now are read from their own index (``notices_current``, migration 261).

Every door panel asks for its door's when it starts, and the core works out on each tick
whether those showing now changed, to tell the panels retained. A year of notices holds a few
dozen showing now beside hundreds that have ended; walking the newest-first index visits every
ended one. Here EXPLAIN QUERY PLAN must show the read searching the index by end time, for the
whole list showing now and for the retained word that it changed, with the right notices in
the right order. One door's are searched by building and end time in ``notice_buildings``
(migration 280, test_notice_buildings.py).
"""

from __future__ import annotations

from compound.domain.clock import ManualClock
from compound.domain.paging import Page
from compound.services import notices
from compound.store.db import Store
from tests.compound.store.test_cold_reads import plans, real_size_statistics

DAY = 86400.0
CURRENT = "SEARCH notices USING INDEX notices_current (valid_until>?)"
BY_BUILDING = (
    "SEARCH notice_buildings USING COVERING INDEX notice_buildings_current"
    " (building=? AND valid_until>?)"
)


def posted(store: Store, clock: ManualClock) -> list[str]:
    """Forty notices over 80 days, each for ten days, for building 1 or 2 in turn, one of the
    last withdrawn: the texts of those showing now, newest first."""
    for b in (1, 2):
        store.add_unit(f"{b}-1-101")
    store.add_door("b1-e1", "Building 1 entrance 1", ["1-1"])
    texts = []
    for i in range(40):
        notices.post(
            store,
            {"text": f"通知 {i}", "by": "office", "valid_until": clock.now() + 10 * DAY,
             "buildings": str(1 + i % 2)},
        )  # fmt: skip
        texts.append(f"通知 {i}")
        clock.advance(2 * DAY)
    notices.withdraw(store, 40, "office")  # ids from 1: the last one
    return texts[38:35:-1]


def test_the_notices_showing_now_are_searched_by_end_time(store: Store, clock: ManualClock) -> None:
    showing = posted(store, clock)
    real_size_statistics(store)
    now = clock.now()
    for ask, want, index in [
        (lambda: notices.listing(store, now, True, None, Page(1, 50)), showing, CURRENT),
        (lambda: notices.listing(store, now, True, "b1-e1", Page(1, 50)), showing[::2],
         BY_BUILDING),
    ]:  # fmt: skip
        (plan,) = [plan for sql, plan in plans(store, ask) if "FROM notices" in sql]
        assert index in plan, plan
        assert [n["text"] for n in ask()] == want
    # The retained word that they changed reads the ids of those showing from the same index.
    (plan,) = [plan for sql, plan in plans(store, lambda: notices.fence(store, now))]
    assert CURRENT in plan, plan
    before = notices.fence(store, now)
    assert notices.fence(store, now) == before
    notices.withdraw(store, 39, "office")  # one of those showing
    assert notices.fence(store, now) != before


def test_the_whole_list_is_still_read_newest_first(store: Store, clock: ManualClock) -> None:
    """The list with the ended ones (the command line's, a page at a time) keeps the index
    that reads it in order and stops after the page."""
    posted(store, clock)
    real_size_statistics(store)
    (found,) = plans(store, lambda: notices.listing(store, clock.now(), False, None, Page(2, 3)))
    assert any("notices_newest" in step for step in found[1]), found
    assert not any("TEMP B-TREE" in step for step in found[1]), found
    assert [n["text"] for n in notices.listing(store, clock.now(), False, None, Page(2, 3))] == [
        "通知 36", "通知 35", "通知 34"
    ]  # fmt: skip
