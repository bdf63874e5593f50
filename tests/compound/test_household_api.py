"""The console's household view, page of stations and notices for some buildings, on a real
store: ``household.show``, ``station.page``, ``notice.post`` with buildings and ``notice.list``
for one door."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from compound.app.cli import main
from compound.domain.clock import ManualClock, SystemClock
from compound.domain.model import InvalidInput
from compound.services import notices, rental
from compound.services.household_api import household_of, station_page
from compound.store.db import Store

DESKS = ("desk", "officer")


def test_household_shows_people_roles_masked_credentials_class_and_visits(
    store: Store, clock: ManualClock
) -> None:
    store.add_unit("3-2-1501")
    store.add_unit("3-2-1502")
    owner = store.add_person("王小明", "3-2-1501", "owner", phone="13812345678")
    tenant = store.add_person(
        "刘租", "3-2-1501", "tenant", lease_start="2026-01-01", lease_end="2030-12-31"
    )
    other = store.add_person("邻居", "3-2-1502", "owner")
    store.add_card(owner, "0012344321")
    store.set_pin(owner, "258369")
    gone = store.add_card(tenant, "0099990000")
    store.revoke_credential(gone, "office")  # a revoked card is not shown
    rental.set_tenant_layer(store, tenant, "watch", "office")
    rental.add_visit(store, {"person": tenant, "by": "民警张", "notes": "正常"})
    home = household_of(store, {"person": owner})
    assert home["unit"] == "3-2-1501" and home["class"] is None
    assert [p["name"] for p in home["people"]] == ["王小明", "刘租"]
    first, second = home["people"]
    assert first["role"] == "owner" and first["phone"] != "13812345678"
    labels = {c["label"] for c in first["credentials"]}
    assert labels == {"card …4321", "PIN"} and "0012344321" not in str(home)
    assert second["layer"] == "watch" and second["lease_end"] == "2030-12-31"
    assert second["credentials"] == []
    assert [v["by"] for v in home["visits"]] == ["民警张"]
    rental.set_household_class(store, home["household"], "focus", "office")
    again = household_of(store, {"household": home["household"]})
    assert again["class"] == "focus" and again["people"] == home["people"]
    assert household_of(store, {"person": other})["unit"] == "3-2-1502"
    with pytest.raises(InvalidInput, match="unknown person"):
        household_of(store, {"person": 999})
    with pytest.raises(InvalidInput, match="person must be a number"):
        household_of(store, {"person": "abc"})


def test_station_page_in_address_order_found_by_unit_or_id(store: Store) -> None:
    for b in (10, 2, 1):
        for room in range(1, 4):
            store.add_unit(f"{b}-1-{room}01")
            store.add_station(f"st-{b}-{room}", f"{b}-1-{room}01", DESKS)
    page = station_page(store, {"page": 1, "size": 4})
    assert page["total"] == 9
    assert [i["unit"] for i in page["items"]] == ["1-1-101", "1-1-201", "1-1-301", "2-1-101"]
    assert station_page(store, {"page": 3, "size": 4})["items"][0]["unit"] == "10-1-301"
    found = station_page(store, {"q": "10-1"})
    assert found["total"] == 3 and {i["station"] for i in found["items"]} == {
        "st-10-1",
        "st-10-2",
        "st-10-3",
    }
    assert station_page(store, {"q": "st-2-3"})["items"][0]["unit"] == "2-1-301"
    assert station_page(store, {"q": "%"})["total"] == 0  # typed text is not a wildcard


def test_notices_for_some_buildings_reach_only_their_doors(
    store: Store, clock: ManualClock
) -> None:
    for unit in ("1-1-101", "2-1-101", "3-1-101"):
        store.add_unit(unit)
    store.add_door("gate", "Gate", ["*"])
    store.add_door("b1-e1", "B1", ["1-1"])
    store.add_door("b3-e1", "B3", ["3-1"])
    until = clock.now() + 30 * 86400
    notices.post(store, {"text": "全体", "valid_until": until, "by": "office"})
    posted = notices.post(
        store, {"text": "1号楼停水", "valid_until": until, "by": "office", "buildings": "1, 2"}
    )
    assert posted["buildings"] == ["1", "2"]
    with pytest.raises(InvalidInput, match="unknown building 9"):
        notices.post(store, {"text": "x", "valid_until": until, "by": "o", "buildings": [1, 9]})
    with pytest.raises(InvalidInput, match="buildings must be"):
        notices.post(store, {"text": "x", "valid_until": until, "by": "o", "buildings": "a"})
    now = clock.now()
    assert len(notices.listing(store, now, True)) == 2

    def texts(door: str) -> list[str]:
        return [n["text"] for n in notices.listing(store, now, True, door)]

    assert texts("b1-e1") == ["1号楼停水", "全体"]
    assert texts("b3-e1") == ["全体"]
    assert texts("gate") == ["1号楼停水", "全体"]
    with pytest.raises(InvalidInput, match="unknown door"):
        texts("nowhere")
    assert [n["buildings"] for n in notices.listing(store, now, True)] == [["1", "2"], []]


def test_notice_for_some_buildings_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.db"
    s = Store(db, SystemClock(), tmp_path / "keys")
    for unit in ("1-1-101", "3-1-101"):
        s.add_unit(unit)
    s.add_door("b3-e1", "B3", ["3-1"])
    s.close()
    until = time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400))
    base = ["--db", str(db), "notice"]
    assert main([*base, "post", "停水", "--until", until, "--buildings", "1", "--by", "li"]) == 0
    assert "posted for building 1 until" in capsys.readouterr().out
    assert main([*base, "post", "全体", "--until", until, "--by", "li"]) == 0
    assert main([*base, "post", "x", "--until", until, "--buildings", "7", "--by", "li"]) == 2
    assert "unknown building 7" in capsys.readouterr().err
    assert main([*base, "list", "--active"]) == 0
    assert "[1] 停水" in capsys.readouterr().out
    assert main([*base, "list", "--door", "b3-e1", "--json"]) == 0
    assert [n["text"] for n in json.loads(capsys.readouterr().out)] == ["全体"]
