"""The lists worked out from many rows (visits due, elderly not seen, notices, holidays,
schedules) are read from SQLite one page at a time, on a real store.

Before, each read every row (every tenant due, every person living alone, 500 notices, every
holiday, every credential of every schedule) and cut the page in Python: the reply was
bounded, the read was not. Here every read the store makes is counted, and no read may bring
more rows into Python than the page holds; the pages must join up to the whole list, in its
order, with the right total on each, and a page past the end must be empty with the total.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from compound.config import AlertsConfig
from compound.domain.clock import ManualClock
from compound.domain.model import TimeWindow
from compound.domain.paging import Page
from compound.services import notices, rental
from compound.services.community_api import Community
from compound.store.db import Store
from tests.compound.store.test_cold_reads import full_scans, plans, real_size_statistics

DAY = 86400.0
N = 7  # rows of each kind: pages of 3 hold 3, 3 and 1
USERS = 2  # doors and credentials named under each schedule


class RowsRead:
    """Wraps the store's two read paths and keeps how many rows each call returned."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: list[int] = []
        for name in ("read", "query"):
            monkeypatch.setattr(store, name, self._counting(getattr(store, name)))

    def _counting(self, fn: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        def call(*args: Any, **kwargs: Any) -> list[Any]:
            rows = fn(*args, **kwargs)
            self.counts.append(len(rows))
            return rows

        return call

    def most(self) -> int:
        most = max(self.counts, default=0)
        self.counts.clear()
        return most


def pages_of(
    read: Callable[[Page], tuple[list[Any], int]], rows: RowsRead, bound: int = 3
) -> Iterator[tuple[int, list[Any], int]]:
    """(page number, items, total) for pages of 3 from the first to two past the end; no
    read of any may bring more than ``bound`` rows into Python."""
    for n in range(1, N // 3 + 4):
        items, total = read(Page(n, 3))
        assert rows.most() <= bound, f"page {n}: a read brought more rows than the page"
        yield n, items, total


def household(store: Store, clock: ManualClock) -> int:
    store.add_unit("1-1-101")
    with store.transaction() as c:
        u = c.execute("SELECT id FROM units WHERE address = '1-1-101'").fetchone()[0]
        row = c.execute("SELECT id FROM households WHERE unit_id = ?", (u,)).fetchone()
        if row is not None:
            return int(row[0])
        return int(
            c.execute(
                "INSERT INTO households (unit_id, rental, created_at) VALUES (?, 1, ?)",
                (u, clock.now()),
            ).lastrowid
            or 0
        )


def people(store: Store, clock: ManualClock, role: str, created: list[float]) -> list[int]:
    """People of ``role`` living alone, registered at the given times; their ids."""
    hid = household(store, clock)
    with store.transaction() as c:
        return [
            int(
                c.execute(
                    "INSERT INTO people (name, household_id, role, lives_alone, birth_year,"
                    " created_at) VALUES (?, ?, ?, 1, 1940, ?)",
                    (f"住户{i}", hid, role, at),
                ).lastrowid
                or 0
            )
            for i, at in enumerate(created)
        ]


def check_pages(pages: list[tuple[int, list[Any], int]], whole: list[Any]) -> None:
    assert [total for _, _, total in pages] == [len(whole)] * len(pages)
    assert [len(items) for _, items, _ in pages] == [3, 3, 1, 0, 0]
    assert [x for _, items, _ in pages for x in items] == whole


def test_visits_due_are_read_a_page_at_a_time(
    store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now()
    # Registered long ago, in an order other than their ids; two at the same time (the id
    # breaks the tie); one registered yesterday, not due for a quarter.
    created = [now - 300 * DAY + k * 3600 for k in (5, 2, 2, 6, 0, 4, 1)]
    ids = people(store, clock, "tenant", [*created, now - DAY])
    whole = [v.as_dict(now) for v in rental.visits_due(store, now, 7.0)]
    assert len(whole) == N and ids[-1] not in [v["person_id"] for v in whole]
    assert [v["person_id"] for v in whole[:3]] == [ids[4], ids[6], ids[1]]
    rows = RowsRead(store, monkeypatch)

    def read(page: Page) -> tuple[list[Any], int]:
        reply = rental.visits_due_page(store, now, 7.0, page)
        assert (reply["page"], reply["size"]) == (page.page, page.size)
        return reply["items"], reply["total"]

    check_pages(list(pages_of(read, rows)), whole)
    # Within a year, the one registered yesterday is due too: the total follows the filter.
    assert rental.visits_due_page(store, now, 366.0, Page(9, 3))["total"] == N + 1


def test_elderly_not_seen_are_read_a_page_at_a_time(
    store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now()
    ids = people(store, clock, "owner", [now - 10 * DAY] * (N + 1))
    store.add_door("b1-e1", "Building 1 entrance 1", ["1"])
    # The last one was let in an hour ago: seen, so not in the list; one was let in three
    # days ago, which counts from then.
    store.append_events(
        [
            (now - 3 * DAY, "access.granted", "b1-e1", ids[2], {"kind": "card"}),
            (now - 3600, "access.granted", "b1-e1", ids[-1], {"kind": "card"}),
        ]
    )
    community = Community(store, AlertsConfig())
    whole = community.elderly_unseen(48)
    assert [p["person_id"] for p in whole] == ids[:-1]
    assert whole[2]["hours_unseen"] == 72.0 and whole[0]["hours_unseen"] == 240.0
    rows = RowsRead(store, monkeypatch)

    def read(page: Page) -> tuple[list[Any], int]:
        reply = community.elderly_unseen_page(48, page)
        return reply["items"], reply["total"]

    check_pages(list(pages_of(read, rows)), whole)
    assert community.elderly_unseen_page(100, Page(1, 3))["total"] == N - 1  # the 72 h one


def test_notices_for_a_door_are_picked_and_cut_in_sqlite(
    store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for b in (1, 2, 12):
        store.add_unit(f"{b}-1-101")
    store.add_door("b1-e1", "Building 1 entrance 1", ["1-1"])
    store.add_door("gate", "South gate", ["*"])
    # N for building 1 (alone, with others, or the whole compound), and some not for it:
    # building 12 must not pass for building 1 (the column holds "1,12" style lists).
    targets = ["1", "", "12", "1,2", "2", "", "2,1", "12", "1", ""]
    for i, b in enumerate(targets):
        clock.advance(60)
        notices.post(
            store, {"text": f"通知 {i}", "by": "office", "valid_until": clock.now() + DAY,
                    "buildings": b},
        )  # fmt: skip
    now = clock.now()
    whole = notices.listing(store, now, True, "b1-e1")
    assert [n["text"] for n in whole] == [f"通知 {i}" for i in (9, 8, 6, 5, 3, 1, 0)]
    assert len(notices.listing(store, now, True, "gate")) == len(targets)
    rows = RowsRead(store, monkeypatch)

    def read(page: Page) -> tuple[list[Any], int]:
        return notices.listing(store, now, True, "b1-e1", page), len(whole)

    check_pages(list(pages_of(read, rows)), whole)


def test_holidays_are_read_a_page_at_a_time(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    days = [f"2027-0{m}-0{d}" for m, d in ((1, 1), (2, 6), (2, 7), (4, 5), (5, 1), (5, 2),
                                           (6, 9))]  # fmt: skip
    for day in ["2026-10-01", *days, "2028-01-01"]:
        store.add_holiday(day, "节日")
    whole = store.holiday_list(2027)
    assert [h["date"] for h in whole] == days
    rows = RowsRead(store, monkeypatch)

    def read(page: Page) -> tuple[list[Any], int]:
        return store.holiday_list(2027, page), len(whole)

    check_pages(list(pages_of(read, rows)), whole)
    assert len(store.holiday_list()) == N + 2


def test_schedules_name_their_first_users_and_count_the_rest(
    store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = [TimeWindow(frozenset(range(7)), 0, 1440)]
    for name in [f"s{i}" for i in range(N)]:
        store.add_schedule(name, day)
    (pid,) = people(store, clock, "owner", [clock.now()])
    cards = [store.add_card(pid, f"{10_000 + i}", "s1") for i in range(10)]
    store.revoke_credential(cards[0], "lost")  # a revoked card uses it no more
    for i in range(4):
        store.add_door(f"b{i}-e1", f"Door {i}", ["1"])
        store.set_door_schedule(f"b{i}-e1", "s1" if i < 3 else "s4")
    whole = store.schedule_list()
    rows = RowsRead(store, monkeypatch)

    def read(page: Page) -> tuple[list[Any], int]:
        return store.schedule_page(page, USERS), len(whole)

    pages = list(pages_of(read, rows))
    s1, s4 = pages[0][1][1], pages[1][1][1]
    assert s1["name"] == "s1" and s4["name"] == "s4"
    assert s1["doors"] == ["b0-e1", "b1-e1"] and s1["door_count"] == 3
    assert s1["credentials"] == cards[1:3] and s1["credential_count"] == 9
    assert s4["doors"] == ["b3-e1"] and (s4["door_count"], s4["credential_count"]) == (1, 0)
    for s in whole:  # the whole list, cut as the page cuts it
        s["door_count"], s["credential_count"] = len(s["doors"]), len(s["credentials"])
        s["doors"], s["credentials"] = s["doors"][:USERS], s["credentials"][:USERS]
    check_pages(pages, whole)


def test_a_schedules_users_and_the_newest_notices_are_read_from_indexes(
    store: Store, clock: ManualClock
) -> None:
    """A page of schedules counts each one's credentials in their index, and the notices of a
    page are read newest first from theirs: no scan of the credentials, no sort of notices."""
    store.add_schedule("tenants", [TimeWindow(frozenset(range(7)), 0, 1440)])
    (pid,) = people(store, clock, "tenant", [clock.now()])
    for i in range(USERS + 1):
        store.add_card(pid, f"{20_000 + i}", "tenants")
    notices.post(store, {"text": "停水", "by": "office", "valid_until": clock.now() + DAY})
    real_size_statistics(store)
    found = plans(store, lambda: store.schedule_page(Page(1, 50), USERS))
    assert any("credentials_schedule" in " ".join(plan) for _, plan in found)
    assert [full_scans(sql, plan) for sql, plan in found if full_scans(sql, plan)] == []
    # The whole list (the notices showing now have their own index: test_notice_index.py).
    (listed,) = plans(store, lambda: notices.listing(store, clock.now(), False, None, Page(2, 3)))
    assert any("notices_newest" in step for step in listed[1])
    assert not any("TEMP B-TREE" in step for step in listed[1])
