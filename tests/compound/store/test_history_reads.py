"""One person's and one unit's history, as the officer wall asks for them: newest first, a page
at a time, from the person index; never a read or a sort of the whole log, which holds some 10
million events after 200 days at the Xi'an size."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from compound.config import AlertsConfig, Config
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.services.community_api import Community, CommunityApi
from compound.services.extension import ApiMethod
from compound.services.lists_api import ListsApi
from compound.store.db import Store
from tests.compound.store.test_cold_reads import full_scans, plans, real_size_statistics


def api(store: Store, clock: ManualClock) -> dict[str, ApiMethod]:
    core: Any = SimpleNamespace(store=store, clock=clock, config=Config())
    out: dict[str, ApiMethod] = {}
    for ext in (ListsApi(core), CommunityApi(core)):
        out.update(ext.offers().api)
    return out


def household(store: Store) -> dict[str, int]:
    """Two units: 3-2-1501 with three people (one moved out since), 3-2-1502 with one."""
    store.add_unit("3-2-1501")
    store.add_unit("3-2-1502")
    store.add_door("b3-e2", "Building 3 entrance 2", ["3-2"])
    ids = {
        "owner": store.add_person("张伟", "3-2-1501", "owner"),
        "family": store.add_person("李娜", "3-2-1501", "family"),
        "gone": store.add_person("王芳", "3-2-1501", "family"),
        "neighbour": store.add_person("赵强", "3-2-1502", "owner"),
    }
    return ids


def passages(store: Store, clock: ManualClock, order: list[int]) -> list[int]:
    """One passage for each person id in ``order``, a second apart; their sequence numbers."""
    seqs = []
    for pid in order:
        clock.advance(1)
        ev = store.append_event("access.granted", door_id="b3-e2", person_id=pid, data={"n": pid})
        seqs.append(ev.seq)
    return seqs


def test_a_units_history_merges_its_peoples_newest_first_page_by_page(
    store: Store, clock: ManualClock
) -> None:
    ids = household(store)
    store.move_out(ids["gone"])
    who = [ids[k] for k in ("owner", "neighbour", "family", "gone", "owner", "family", "owner")]
    seqs = passages(store, clock, who)
    ours = [s for s, pid in zip(seqs, who, strict=True) if pid != ids["neighbour"]]
    page = api(store, clock)["events.page"]
    got: list[int] = []
    before = None
    while True:
        r = page({"unit": "3-2-1501", "size": 2, **({"before": before} if before else {})})
        assert len(r["items"]) <= 2
        got += [e["seq"] for e in r["items"]]
        before = r["next_before"]
        if before is None:
            break
    unit = [ids["owner"], ids["family"], ids["gone"]]
    everything = store.query(
        "SELECT seq FROM events WHERE person_id IN (?, ?, ?) ORDER BY seq DESC", tuple(unit)
    )
    # registrations, the move-out and the passages, the moved-out person's included
    assert got == [r["seq"] for r in everything] and set(ours) < set(got)
    only_passages = page({"unit": "3-2-1501", "types": ["access.granted"], "size": 50})
    assert [e["seq"] for e in only_passages["items"]] == sorted(ours, reverse=True)
    neighbour = page({"unit": " 3-2-1502 ", "size": 50})
    assert {e["person_id"] for e in neighbour["items"]} == {ids["neighbour"]}


def test_a_persons_history_pages_from_the_newest(store: Store, clock: ManualClock) -> None:
    ids = household(store)
    who = [ids["owner"], ids["family"]] * 4
    seqs = passages(store, clock, who)
    page = api(store, clock)["events.page"]
    mine_only = {"person": ids["owner"], "types": ["access.granted"], "size": 3}
    first = page(mine_only)
    mine = sorted((s for s, p in zip(seqs, who, strict=True) if p == ids["owner"]), reverse=True)
    assert [e["seq"] for e in first["items"]] == mine[:3]
    rest = page({**mine_only, "before": first["next_before"]})
    assert [e["seq"] for e in rest["items"]] == mine[3:] and rest["next_before"] is None
    everything = page({"person": ids["owner"], "size": 50})["items"]
    assert [e["type"] for e in everything][-1] == "person.added"  # the registration, oldest


def test_a_unit_that_is_not_there_or_a_unit_with_a_person_is_refused(
    store: Store, clock: ManualClock
) -> None:
    ids = household(store)
    page = api(store, clock)["events.page"]
    with pytest.raises(InvalidInput, match="unknown unit 9-1-101"):
        page({"unit": "9-1-101"})
    with pytest.raises(InvalidInput, match="malformed room number"):
        page({"unit": "x" * 10_000})
    with pytest.raises(InvalidInput, match="not both"):
        page({"unit": "3-2-1501", "person": ids["owner"]})


@pytest.mark.parametrize("statistics", ["none", "xian"])
@pytest.mark.parametrize(
    "history",
    [
        "a person's events",
        "a person's passages",
        "a person's passages, older page",
        "a person's passages search",
        "a unit's events",
        "a unit's passages in the last week",
        "the alert rules' replay at start",
    ],
)
def test_history_queries_read_indexes_not_tables(
    tmp_path: Path, history: str, statistics: str
) -> None:
    clock = ManualClock()
    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")
    try:
        ids = household(store)
        passages(store, clock, [ids["owner"], ids["family"]] * 3)
        if statistics == "xian":
            real_size_statistics(store)
        calls = api(store, clock)
        page, search = calls["events.page"], calls["passages.search"]
        pas = ["access.granted", "access.denied"]
        week = {"since": clock.now() - 7 * 86400}
        run = {
            "a person's events": lambda: page({"person": ids["owner"], "size": 25}),
            "a person's passages": lambda: page({"person": ids["owner"], "types": pas}),
            "a person's passages, older page": lambda: page(
                {"person": ids["owner"], "types": pas, "before": 5}
            ),
            "a person's passages search": lambda: search({"person": ids["owner"]}),
            "a unit's events": lambda: page({"unit": "3-2-1501", "size": 25}),
            "a unit's passages in the last week": lambda: page(
                {"unit": "3-2-1501", "types": pas, **week}
            ),
            # at every start of the core: a week of the log, read from its first event on
            "the alert rules' replay at start": Community(store, AlertsConfig()).prime,
        }[history]
        found = plans(store, run)
        assert found, "the call ran no query"
        bad = [(sql[:90], full_scans(sql, plan)) for sql, plan in found if full_scans(sql, plan)]
        assert bad == []
    finally:
        store.close()


def test_a_persons_passage_search_comes_a_page_at_a_time(store: Store, clock: ManualClock) -> None:
    ids = household(store)
    seqs = passages(store, clock, [ids["owner"]] * 70)
    search = api(store, clock)["passages.search"]
    first = search({"person": ids["owner"]})["people"][0]
    assert [ps["seq"] for ps in first["passages"]] == seqs[::-1][:60]  # what the wall lists
    rest = search({"person": ids["owner"], "before": first["next_before"]})["people"][0]
    assert [ps["seq"] for ps in rest["passages"]] == seqs[::-1][60:]
    assert rest["next_before"] is None
    few = search({"person": ids["owner"], "passages": 5})["people"][0]
    assert len(few["passages"]) == 5 and few["next_before"] == seqs[-5]
    for bad in ({"passages": 501}, {"passages": 0}, {"before": -1}, {"passages": "x"}):
        with pytest.raises(InvalidInput, match="whole number"):
            search({"person": ids["owner"], **bad})
