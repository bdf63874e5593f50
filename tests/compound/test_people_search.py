"""The bounded lists: the people search (person.list), names for passage lines, the alarm
queue and the event pages, and the community lists, each one page at a time."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from compound.config import Config
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.domain.search import initials, terms
from compound.services.community_api import CommunityApi
from compound.services.extension import ApiMethod
from compound.services.lists_api import ListsApi
from compound.services.people_api import PeopleApi
from compound.store import migrations
from compound.store.db import Store


def api(store: Store, clock: ManualClock) -> dict[str, ApiMethod]:
    """The API methods as the core serves them (the extensions read only these of the core)."""
    core: Any = SimpleNamespace(store=store, clock=clock, config=Config())
    out: dict[str, ApiMethod] = {}
    for ext in (PeopleApi(core), ListsApi(core), CommunityApi(core)):
        out.update(ext.offers().api)
    return out


@pytest.fixture
def people(store: Store) -> dict[str, int]:
    for unit in ("3-2-1501", "3-2-1502", "3-20-101", "12-1-0301"):
        store.add_unit(unit)
    ids = {
        "王小明": store.add_person(
            "王小明", "3-2-1501", "owner", id_number="11010119900101123X", phone="138 0013 5678"
        ),
        "单雄信": store.add_person("单雄信", "3-2-1502", "tenant", phone="139-0000-4321"),
        "John Smith": store.add_person("John Smith", "3-20-101", "family"),
        "李小明": store.add_person("李小明", "12-1-0301", "owner", id_number="110101198001015555"),
    }
    store.add_card(ids["单雄信"], "0012345")
    return ids


def names(reply: dict[str, Any]) -> set[str]:
    return {p["name"] for p in reply["items"]}


def test_each_kind_of_search_text_finds_its_person(
    store: Store, clock: ManualClock, people: dict[str, int]
) -> None:
    """One box, many meanings: a part of a name, pinyin initials (a surname read as a surname),
    a Latin name in any case, a unit or its start, the end of an ID, a card, a phone's end."""
    ls = api(store, clock)["person.list"]
    assert names(ls({"q": "小明"})) == {"王小明", "李小明"}
    assert names(ls({"q": "wxm"})) == {"王小明"}
    assert names(ls({"q": "WX"})) == {"王小明"}
    assert names(ls({"q": "sxx"})) == {"单雄信"}  # 单 is Shàn as a surname
    assert names(ls({"q": "john"})) == {"John Smith"}
    assert names(ls({"q": "js"})) == {"John Smith"}
    assert names(ls({"q": "3-2"})) == {"王小明", "单雄信"}  # not entrance 20
    assert names(ls({"q": "3-2-150"})) == {"王小明", "单雄信"}
    assert names(ls({"q": "3"})) == {"王小明", "单雄信", "John Smith"}  # building 3
    assert names(ls({"q": "123x"})) == {"王小明"}  # the ID's last digits, X in either case
    assert names(ls({"q": "5555"})) == {"李小明"}
    assert names(ls({"q": "12345"})) == {"单雄信"}  # the card, whatever its leading zeros
    assert names(ls({"q": "5678"})) == {"王小明"}  # the phone's last four
    assert names(ls({"q": "4321"})) == {"单雄信"}
    assert ls({"q": "nobody"}) == {"items": [], "total": 0, "page": 1, "size": 50}
    shown = ls({"q": "wxm"})["items"][0]
    assert shown["id_number"] == "110***********123X" and shown["unit"] == "3-2-1501"


def test_pages_filters_and_refusals(
    store: Store, clock: ManualClock, people: dict[str, int]
) -> None:
    ls = api(store, clock)["person.list"]
    everyone = ls({})
    assert everyone["total"] == 4 and everyone["size"] == 50
    assert [p["id"] for p in everyone["items"]] == sorted(people.values(), reverse=True)
    first, second = ls({"size": 3}), ls({"size": 3, "page": 2})
    assert len(first["items"]) == 3 and len(second["items"]) == 1 and second["total"] == 4
    past = ls({"size": 3, "page": 9})
    assert past == {"items": [], "total": 4, "page": 9, "size": 3}
    assert names(ls({"role": "tenant"})) == {"单雄信"}
    assert names(ls({"unit": "3-2-1501"})) == {"王小明"}
    assert names(ls({"q": "小明", "unit": "12-1-0301"})) == {"李小明"}
    store.move_out(people["李小明"])
    assert names(ls({"q": "小明"})) == {"王小明"}
    assert names(ls({"q": "小明", "include_moved_out": True})) == {"王小明", "李小明"}
    with pytest.raises(InvalidInput, match="search text too long .10000 characters.: type at"):
        ls({"q": "王" * 10_000})
    with pytest.raises(InvalidInput, match="size must be a whole number from 1 to 200"):
        ls({"size": 201})
    with pytest.raises(InvalidInput, match="page must be"):
        ls({"page": 0})
    with pytest.raises(InvalidInput, match="unknown role"):
        ls({"role": "boss"})


def test_searches_other_than_a_part_of_a_name_read_indexes_only(
    store: Store, clock: ManualClock, people: dict[str, int]
) -> None:
    """At 25,000 people a scan is what makes a search slow: every kind of text but a part of a
    Chinese name is answered from an index, and the list without a search too."""
    asked: list[tuple[str, Any]] = []
    read = store.read

    def spy(sql: str, params: Any = ()) -> list[dict[str, Any]]:
        asked.append((sql, params))
        return read(sql, params)

    store.read = spy  # type: ignore[method-assign]
    ls = api(store, clock)["person.list"]
    for q in ("wxm", "john", "3-2", "123X", "12345", "5678", None, {"unit": "3-2-1501"}):
        asked.clear()
        ls({"q": q} if isinstance(q, str) else q or {"role": "owner"})
        for sql, params in asked:
            plan = [r[-1] for r in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            scans = [p for p in plan if p.startswith("SCAN") and "pg" not in p and "hits" not in p]
            assert scans == [], (q, plan)
    t = terms("小明")
    assert t is not None and t.scans  # the one search that reads every name


def test_the_migration_fills_the_initials_of_people_already_registered(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.execute("CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for m in migrations.MIGRATIONS:
        if m.number < 140:
            m.step(conn)
            conn.execute("INSERT INTO migrations (number, name) VALUES (?, ?)", (m.number, m.name))
    conn.executescript(
        "INSERT INTO buildings (number) VALUES (1); INSERT INTO entrances VALUES (1, 1);"
        " INSERT INTO units (address, building, entrance, room) VALUES ('1-1-101', 1, 1, '101');"
        " INSERT INTO households (unit_id, created_at) VALUES (1, 0);"
        " INSERT INTO people (name, household_id, role, created_at)"
        " VALUES ('曾小贤', 1, 'owner', 0);"
    )
    assert 140 in migrations.apply(conn)
    assert conn.execute("SELECT initials FROM people").fetchall() == [("zxx",)]
    assert initials("欧阳娜娜 Lee") == "oynnl"


def test_names_for_passage_lines_are_bounded(
    store: Store, clock: ManualClock, people: dict[str, int]
) -> None:
    by_id = api(store, clock)["person.names"]
    pid = people["王小明"]
    assert by_id({"ids": [pid, 99999]}) == {str(pid): "王小明"}
    with pytest.raises(InvalidInput, match="at most 200"):
        by_id({"ids": list(range(201))})
    with pytest.raises(InvalidInput, match="ids must be"):
        by_id({"ids": "all"})


def test_alarm_queue_by_severity_then_time_with_counts_per_kind(
    store: Store, clock: ManualClock
) -> None:
    page = api(store, clock)["alarm.page"]
    store.raise_alarm("held_open", "b1 held open", severity="medium", door_id="b1")
    clock.advance(10)
    store.raise_alarm("failed_attempts", "b2 five refusals", severity="medium", door_id="b2")
    clock.advance(10)
    forced = store.raise_alarm("forced_open", "b1 forced", severity="high", door_id="b1")
    clock.advance(10)
    sos = store.raise_alarm("emergency", "help at b3", severity="critical")
    r = page({"size": 3})
    assert [a["message"] for a in r["items"]] == ["help at b3", "b1 forced", "b2 five refusals"]
    assert r["total"] == 4 and r["counts"] == {
        "held_open": 1,
        "failed_attempts": 1,
        "forced_open": 1,
        "emergency": 1,
    }
    assert r["doors"] == {"b1": "forced_open", "b2": "failed_attempts"}
    assert [a["message"] for a in page({"size": 3, "page": 2})["items"]] == ["b1 held open"]
    store.acknowledge_alarm(sos.id, "officer")
    store.acknowledge_alarm(forced.id, "officer")
    r = page({"kind": "held_open"})
    assert r["total"] == 1 and r["counts"] == {"held_open": 1, "failed_attempts": 1}
    # b1's older held-open alarm is still queued, but its newer alarm was acknowledged: the
    # tile shows the door's own state again.
    assert r["doors"] == {"b2": "failed_attempts"}
    assert page({"open": False})["total"] == 4


def test_a_door_tile_shows_its_latest_open_alarm_not_an_older_one(
    store: Store, clock: ManualClock
) -> None:
    """An old forced-open alarm still in the queue does not turn the door red again once its
    newer alarm is acknowledged; the old one stays in the queue for the officer."""
    page = api(store, clock)["alarm.page"]
    store.raise_alarm("forced_open", "b1 forced", severity="high", door_id="b1")
    clock.advance(10)
    held = store.raise_alarm("held_open", "b1 held open", severity="medium", door_id="b1")
    assert page({})["doors"] == {"b1": "held_open"}
    store.acknowledge_alarm(held.id, "officer")
    r = page({})
    assert r["doors"] == {} and r["total"] == 1
    clock.advance(10)
    store.raise_alarm("tamper", "b1 tampered", severity="high", door_id="b1")
    assert page({})["doors"] == {"b1": "tamper"}


def test_event_pages_go_back_in_time_and_stay_bounded(store: Store, clock: ManualClock) -> None:
    page = api(store, clock)["events.page"]
    for i in range(5):
        store.append_event("access.granted", door_id="b1", data={"i": i})
    store.append_event("door.remote_unlock", door_id="b1")
    first = page({"types": ["access.granted"], "size": 2})
    assert [e["data"]["i"] for e in first["items"]] == [4, 3]
    second = page({"types": ["access.granted"], "size": 2, "before": first["next_before"]})
    assert [e["data"]["i"] for e in second["items"]] == [2, 1]
    last = page({"types": ["access.granted"], "size": 2, "before": second["next_before"]})
    assert [e["data"]["i"] for e in last["items"]] == [0] and last["next_before"] is None
    with pytest.raises(InvalidInput, match="size must be"):
        page({"size": -1})


def test_community_lists_come_in_pages(
    store: Store, clock: ManualClock, people: dict[str, int]
) -> None:
    calls = api(store, clock)
    tenants = calls["tenant.list"]({"size": 1})
    assert tenants["total"] == 1 and tenants["items"][0]["name"] == "单雄信"
    assert calls["visit.due"]({"within_days": 300, "page": 2}) == {
        "items": [],
        "total": 1,
        "page": 2,
        "size": 50,
    }
    store.add_person("张大爷", "3-2-1501", "owner", lives_alone=True, birth_year=1940)
    clock.advance(72 * 3600)
    unseen = calls["elderly.unseen"]({"hours": 48, "size": 1})
    assert unseen["total"] == 1 and unseen["items"][0]["name"] == "张大爷"
    with pytest.raises(InvalidInput, match="within_days"):
        calls["visit.due"]({"within_days": "soon"})


def test_units_come_in_pages_by_the_start_of_their_address(
    store: Store, clock: ManualClock, people: dict[str, int]
) -> None:
    units = api(store, clock)["unit.list"]
    everything = units({"size": 2})
    assert everything["total"] == 4 and [u["address"] for u in everything["items"]] == [
        "3-2-1501",
        "3-2-1502",
    ]
    assert [u["address"] for u in units({"q": "3-2"})["items"]] == ["3-2-1501", "3-2-1502"]
    assert units({"q": "12"})["total"] == 1
    with pytest.raises(InvalidInput, match="start of an address"):
        units({"q": "王"})


def test_passage_search_by_name_says_how_many_match_and_pages(
    store: Store, clock: ManualClock
) -> None:
    store.add_unit("1-1-101")
    for i in range(45):
        store.add_person(f"张{i:02d}", "1-1-101", "family")
    search = api(store, clock)["passages.search"]
    first = search({"name": "张"})
    assert first["total"] == 45 and first["page"] == 1 and len(first["people"]) == 20
    last = search({"name": "张", "page": 3})
    assert [p["name"] for p in last["people"]] == ["张40", "张41", "张42", "张43", "张44"]
    assert search({"name": "nobody"})["total"] == 0
    assert search({"person": last["people"][0]["id"]})["total"] == 1


def test_a_search_is_counted_and_paged_newest_first_from_one_read(
    store: Store, clock: ManualClock, people: dict[str, int]
) -> None:
    """The people a search finds are read once and paged in order; none is skipped or shown
    twice across pages, and one moved out is neither shown nor counted."""
    ls = api(store, clock)["person.list"]
    more = [store.add_person(f"王{n}", "3-2-1502", "family") for n in "一二三四五"]
    store.move_out(more[0], by="test")
    pages = [ls({"q": "王", "size": 2, "page": n}) for n in (1, 2, 3, 4)]
    assert {p["total"] for p in pages} == {5}  # 王小明 and four of the five
    shown = [p["id"] for page in pages for p in page["items"]]
    assert shown == sorted({*more[1:], people["王小明"]}, reverse=True)
    assert pages[3]["items"] == []
