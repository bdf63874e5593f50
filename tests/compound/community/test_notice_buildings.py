"""A notice's buildings are rows of ``notice_buildings`` (migration 280), and a door's notices
are searched by building there instead of matched as text in each notice showing now.

What must not change is which notices a door gets: every door (one building, several, a gate)
must get exactly the rows, in the same order, that the text match gave, for notices posted
before the upgrade (made into rows by the migration) and after it (by the trigger on insert).
And the door's question must be a search of the index by building and end time: no scan of
the notices or of their buildings.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from compound.domain.clock import ManualClock
from compound.services import notices
from compound.store import migrations
from compound.store.db import Store
from tests.compound.store.test_cold_reads import plans, real_size_statistics

DAY = 86400.0
T0 = ManualClock().now()
BY_BUILDING = "SEARCH notice_buildings USING COVERING INDEX notice_buildings_current"
# (text, buildings as the column holds them, starts days after T0, days it runs, withdrawn):
# building 12 must not pass for building 1 nor "1" for "12"; one withdrawn, one over.
POSTED = [
    ("停水", "1", 0, 30, False),
    ("全小区停电", "", 1, 30, False),
    ("12号楼电梯检修", "12", 2, 30, False),
    ("1、2号楼消防演练", "1,2", 3, 30, False),
    ("2号楼", "2", 4, 30, False),
    ("撤回的通知", "1", 5, 30, True),
    ("已结束", "", -20, 10, False),
    ("2、1号楼", "2,1", 6, 30, False),
    ("12、13号楼", "12,13", 7, 30, False),
    ("明天开始", "1", 12, 5, False),
]
DOORS = {"b1-e1": ["1-1"], "b12-e1": ["12-1"], "b1-2": ["1-2", "2-1"], "gate": ["*"]}


def old_listing(store: Store, now: float, active: bool, door: str) -> list[dict[str, Any]]:
    """A door's notices read as they were before migration 280: the column's text matched."""
    served = notices.door_buildings(store, door)
    where, args, table = [], [], "notices"
    if active:
        where.append("withdrawn_at IS NULL AND valid_from <= ? AND valid_until > ?")
        args += [now, now]
        table = "notices INDEXED BY notices_current"
    if served is not None:
        where.append(
            "(COALESCE(buildings, '') = '' OR EXISTS (SELECT 1 FROM json_each(?)"
            " WHERE instr(',' || buildings || ',', ',' || value || ',') > 0))"
        )
        args.append(json.dumps(sorted(served)))
    cond = " WHERE " + " AND ".join(where) if where else ""
    rows = store.read(
        f"SELECT * FROM {table}{cond} ORDER BY valid_from DESC, id DESC LIMIT 500",  # noqa: S608
        tuple(args),
    )
    for r in rows:
        r["active"] = r["withdrawn_at"] is None and r["valid_from"] <= now < r["valid_until"]
        r["buildings"] = [b for b in str(r.get("buildings") or "").split(",") if b]
    return rows


def check_same_as_before(store: Store, now: float) -> None:
    for door in DOORS:
        for active in (True, False):
            got = notices.listing(store, now, active, door)
            assert got == old_listing(store, now, active, door), (door, active)
            assert got, (door, active)  # every door has some: the comparison means something


def add_doors(store: Store) -> None:
    for b in (1, 2, 12, 13):
        store.add_unit(f"{b}-1-101")
        store.add_unit(f"{b}-2-101")
    for door, serves in DOORS.items():
        store.add_door(door, door, serves)


def test_notices_posted_before_the_upgrade_reach_the_same_doors(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for m in migrations.MIGRATIONS:
        if m.number < 280:
            m.step(conn)
            conn.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (m.number, m.name))
    for text, buildings, start, days, withdrawn in POSTED:
        conn.execute(
            "INSERT INTO notices (text, valid_from, valid_until, posted_by, posted_at,"
            " withdrawn_at, buildings) VALUES (?, ?, ?, 'office', ?, ?, ?)",
            (text, T0 + start * DAY, T0 + (start + days) * DAY, T0, T0 if withdrawn else None,
             buildings),
        )  # fmt: skip
    assert 280 in migrations.apply(conn)
    made = conn.execute(
        "SELECT n.buildings, GROUP_CONCAT(b.building, '|') FROM notices n"
        " JOIN notice_buildings b ON b.notice_id = n.id GROUP BY n.id ORDER BY n.id"
    ).fetchall()
    assert [m[0] for m in made] == [p[1] for p in POSTED]  # every notice has its rows
    assert {m[0]: sorted(m[1].split("|")) for m in made} == {
        "1": ["1"], "": ["*"], "12": ["12"], "1,2": ["1", "2"], "2": ["2"], "2,1": ["1", "2"],
        "12,13": ["12", "13"],
    }  # fmt: skip
    conn.close()
    store = Store(path, ManualClock(T0 + 10 * DAY), tmp_path / "keys")
    try:
        add_doors(store)
        check_same_as_before(store, T0 + 10 * DAY)
        assert [n["text"] for n in notices.listing(store, T0 + 10 * DAY, True, "b1-e1")] == [
            "2、1号楼", "1、2号楼消防演练", "全小区停电", "停水"
        ]  # fmt: skip
    finally:
        store.close()


def test_a_notice_posted_now_has_its_rows_and_loses_them_with_it(
    store: Store, clock: ManualClock
) -> None:
    add_doors(store)
    for text, buildings, _start, days, withdrawn in POSTED:
        r = notices.post(
            store, {"text": text, "by": "office", "buildings": buildings,
                    "valid_until": clock.now() + days * DAY},
        )  # fmt: skip
        if withdrawn:
            notices.withdraw(store, r["id"], "office")
        clock.advance(DAY)
    rows = store.read("SELECT notice_id, building FROM notice_buildings ORDER BY notice_id")
    assert len(rows) == 13  # a row a building named, one "*" for each whole-compound notice
    assert {r["building"] for r in rows if r["notice_id"] == 4} == {"1", "2"}
    check_same_as_before(store, clock.now())
    with store.transaction() as c:  # nothing deletes notices today; if anything does
        c.execute("DELETE FROM notices WHERE id = 4")
    assert not store.read("SELECT 1 FROM notice_buildings WHERE notice_id = 4")
    check_same_as_before(store, clock.now())
    with store.transaction() as c:  # nor edits one: if anything does, its rows follow
        c.execute("UPDATE notices SET buildings = '12,2', valid_until = ? WHERE id = 1", (T0 + 9,))
        c.execute("UPDATE notices SET buildings = '' WHERE id = 3")
    assert store.read(
        "SELECT notice_id, building, valid_until FROM notice_buildings WHERE notice_id IN (1, 3)"
        " ORDER BY notice_id, building"
    ) == [
        {"notice_id": 1, "building": "12", "valid_until": T0 + 9},
        {"notice_id": 1, "building": "2", "valid_until": T0 + 9},
        {"notice_id": 3, "building": "*", "valid_until": T0 + 2 * DAY + 30 * DAY},
    ]  # fmt: skip
    check_same_as_before(store, T0 + DAY)


@pytest.mark.parametrize("statistics", [False, True])
def test_a_doors_notices_are_searched_by_building(
    store: Store, clock: ManualClock, statistics: bool
) -> None:
    """A year of notices (one every ~9 hours for 30 days, most for one building): the door's
    question reads its buildings' rows from the index, never every notice showing now."""
    add_doors(store)
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO notices (text, valid_from, valid_until, posted_by, posted_at,"
            " buildings) VALUES (?, ?, ?, 'office', ?, ?)",
            [(f"通知 {i}", T0 - (1000 - i) * 31_000, T0 - (1000 - i) * 31_000 + 30 * DAY, T0,
              "" if i % 5 == 0 else ("1", "2", "12", "13", "1,12")[i % 5])
             for i in range(1000)],
        )  # fmt: skip
    if statistics:
        real_size_statistics(store)
    now = clock.now()
    for door in ("b1-e1", "b1-2"):
        asked = plans(store, lambda d=door: notices.listing(store, now, True, d))
        (plan,) = [p for sql, p in asked if "FROM notices" in sql]
        assert any(step.startswith(BY_BUILDING) and "valid_until>?" in step for step in plan), plan
        assert not [step for step in plan if step.startswith("SCAN")], plan
    check_same_as_before(store, now)
    assert len(notices.listing(store, now, True, "b1-e1")) < len(
        notices.listing(store, now, True, "gate")
    )
