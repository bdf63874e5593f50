"""The console's schedules, stations and household viewmodels against a fake gateway: what
they ask the core, what they show, and the core's refusals in the screen's language."""

from __future__ import annotations

from typing import Any

from compound.domain.model import InvalidInput
from tests.ui.fake_doors import door_api
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.household import HouseholdVM
from ui.viewmodels.manager import ManagerVM
from ui.viewmodels.schedules import DOOR_PAGE, SchedulesVM, natural
from ui.viewmodels.stations import StationsVM


def schedule_core() -> LocalGateway:
    """A small stand-in: schedules by name, the doors using them, holidays by date."""
    scheds: dict[str, dict[str, Any]] = {}
    door_of: dict[str, str] = {}
    hols: dict[str, dict[str, Any]] = {}

    def add(p: dict[str, Any]) -> dict[str, Any]:
        if p["from"] == "25:00":
            raise InvalidInput("malformed time '25:00': write HH:MM, e.g. 07:30")
        if p["name"] in scheds:
            raise InvalidInput(f"schedule {p['name']!r} already exists")
        hours = [{"days": p["days"], "spans": [{"from": p["from"], "to": p["to"]}]}]
        scheds[p["name"]] = {"name": p["name"], "hours": hours, "holidays": p["holidays"]}
        return scheds[p["name"]]

    def listing(p: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {**s, "doors": [d for d, n in door_of.items() if n == s["name"]], "credentials": []}
            for s in scheds.values()
        ]

    def set_door(p: dict[str, Any]) -> dict[str, Any]:
        if p["schedule"] is None:
            door_of.pop(p["door"], None)
        else:
            door_of[p["door"]] = p["schedule"]
        return {"door": p["door"], "schedule": p["schedule"]}

    def remove(p: dict[str, Any]) -> dict[str, Any]:
        if p["name"] in door_of.values():
            raise InvalidInput(f"schedule {p['name']!r} is still used by door b1-e1; give ...")
        del scheds[p["name"]]
        return {"removed": True}

    def hol_add(p: dict[str, Any]) -> dict[str, Any]:
        if p["workday"] and p["date"] == "2026-10-01":
            raise InvalidInput(
                "2026-10-01 is a Thursday: only a Saturday or Sunday can be a worked weekend"
                " day (调休)"
            )
        hols[p["date"]] = {"date": p["date"], "weekday": "sun", **p}
        return {"date": p["date"], "name": p["name"], "workday": p["workday"]}

    doors = [{"id": f"b{i}-e1", "name": f"Building {i}"} for i in (10, 2, 1, 3, 4, 5, 6, 7, 8, 9)]
    return LocalGateway(
        {
            **door_api(doors, door_of),
            "schedule.add": add,
            "schedule.list": listing,
            "schedule.remove": remove,
            "door.set_schedule": set_door,
            "holiday.add": hol_add,
            "holiday.list": lambda p: [
                h for d, h in sorted(hols.items()) if d[:4] == str(p["year"])
            ],
            "holiday.remove": lambda p: hols.pop(p["date"]) and {"removed": True},
        }
    )


def test_doors_show_their_schedule_and_page_in_natural_order() -> None:
    gw = schedule_core()
    vm = SchedulesVM(gw, Strings("zh"), year=2026)
    vm.load()
    assert [d["id"] for d in vm.doors][:3] == ["b1-e1", "b2-e1", "b3-e1"]
    assert vm.door_total == 10 and vm.door_pages == 2  # the core's page of 8, and its total
    assert ("door.list", {"page": 1, "size": DOOR_PAGE}) in gw.requests
    assert len(vm.page_doors) == DOOR_PAGE
    vm.turn_doors(1)
    assert [d["id"] for d in vm.page_doors] == ["b9-e1", "b10-e1"]
    vm.choose_door("b10-e1")
    vm.add_schedule("cleaners", "mon-fri", "07:00", "18:00", open_on_holidays=True)
    assert vm.note == "b10-e1 的访客时段: cleaners" and vm.note_ok
    assert next(d for d in vm.doors if d["id"] == "b10-e1")["schedule"] == "cleaners"
    assert vm.schedule_text(vm.schedules[0]) == "cleaners: 周一-周五 07:00-18:00；节假日照常开放"
    vm.assign("")
    assert next(d for d in vm.doors if d["id"] == "b10-e1")["schedule"] is None
    vm.t.toggle()
    assert vm.note == "b10-e1 visitor hours: any time"
    assert natural("b2") < natural("b10")


def test_schedule_refusals_are_translated_and_change_nothing() -> None:
    gw = schedule_core()
    vm = SchedulesVM(gw, Strings("zh"), year=2026)
    vm.load()
    vm.add_schedule("", "mon-fri", "07:00", "18:00")
    assert vm.note == "请填写时段名称" and not vm.note_ok
    assert not any(m == "schedule.add" for m, _ in gw.requests)
    vm.add_schedule("night", "mon-fri", "25:00", "06:00")
    assert vm.note.startswith("时间“25:00”有误") and not vm.note_ok
    vm.add_schedule("night", "mon-fri", "22:00", "06:00")
    vm.choose_door("b1-e1")
    vm.assign()
    vm.remove_schedule()
    assert vm.note.startswith("时段“night”仍有门或凭证在使用") and len(vm.schedules) == 1
    vm.t.toggle()
    assert "still in use" in vm.note and "compound" not in vm.note


def test_holidays_and_worked_weekend_days() -> None:
    gw = schedule_core()
    vm = SchedulesVM(gw, Strings("en"), year=2025)
    vm.load()
    vm.add_holiday("2026-10-04", "National Day", workday=False)
    assert vm.year == 2026 and [h["date"] for h in vm.holidays] == ["2026-10-04"]
    vm.add_holiday("2026-10-11", "", workday=True)
    assert vm.holiday_text(vm.holidays[1]) == "2026-10-11 Sun (worked weekend day)"
    vm.add_holiday("2026-10-01", "", workday=True)
    assert vm.note.startswith("2026-10-01 is not a weekend day") and not vm.note_ok
    vm.remove_holiday("2026-10-04")
    assert [h["date"] for h in vm.holidays] == ["2026-10-11"]
    vm.turn_year(-1)
    assert vm.holidays == [] and ("holiday.list", {"year": 2025}) in gw.requests


def test_stations_page_search_and_removal_names_the_unit() -> None:
    stations = {f"st-{i}": f"3-2-{1500 + i}" for i in range(25)}

    def page(p: dict[str, Any]) -> dict[str, Any]:
        rows = [
            {"station": s, "unit": u} for s, u in stations.items() if u.startswith(p.get("q", ""))
        ]
        start = (p["page"] - 1) * p["size"]
        return {"items": rows[start : start + p["size"]], "total": len(rows)}

    def add(p: dict[str, Any]) -> dict[str, Any]:
        if "-" not in p["unit"]:
            raise InvalidInput(
                "a station rings for a unit (building-entrance-room, e.g. 3-2-1501) or for"
                f" desk or officer, not {p['unit']!r}"
            )
        stations[p["station"]] = p["unit"]
        return {"station": p["station"], "unit": p["unit"]}

    def units(p: dict[str, Any]) -> dict[str, Any]:
        if not p["q"][:1].isdigit():
            raise InvalidInput("q for units is the start of an address: 3, 3-2 or 3-2-15")
        known = [{"address": a} for a in ("5-1-101", "5-1-1010") if a.startswith(p["q"])]
        return {"items": known, "total": len(known)}

    gw = LocalGateway(
        {
            "unit.list": units,
            "station.page": page,
            "station.add": add,
            "station.remove": lambda p: stations.pop(p["station"]) and {"removed": True},
        }
    )
    vm = StationsVM(gw, Strings("zh"))
    vm.load()
    assert vm.total == 25 and vm.pages == 4 and len(vm.items) == 7
    vm.turn(5)
    assert vm.page == 4 and len(vm.items) == 4
    vm.search("3-2-1524")
    assert [s["station"] for s in vm.items] == ["st-24"]
    assert vm.removal_question() == ""
    vm.remove()
    assert vm.note == "请先选择一台室内机" and "st-24" in stations
    vm.choose(vm.items[0])
    assert "3-2-1524" in vm.removal_question() and "st-24" in vm.removal_question()
    vm.remove()
    assert "st-24" not in stations and vm.note == "已删除 3-2-1524 的室内机 st-24"
    vm.add("st-new", "lobby")
    assert vm.note.startswith("室内机须对应一个房号") and "st-new" not in stations
    vm.add("st-new", "5-1-102")
    assert vm.note == "没有房号 5-1-102：请核对，或先登记该房屋" and "st-new" not in stations
    vm.add("st-new", "5-1-101")
    assert vm.note == "室内机 st-new 已登记到 5-1-101" and "st-new" in stations


def household_core() -> LocalGateway:
    home = {
        "household": 7,
        "unit": "3-2-1501",
        "class": None,
        "people": [
            {
                "id": 1,
                "name": "王小明",
                "role": "owner",
                "phone": "138****0000",
                "id_number": None,
                "credentials": [{"kind": "card", "label": "card …4321"}, {"kind": "pin"}],
            },
            {
                "id": 2,
                "name": "刘租",
                "role": "tenant",
                "layer": "watch",
                "lease_start": "2026-01-01",
                "lease_end": "2026-12-31",
                "credentials": [],
            },
        ],
        "visits": [{"at": 1_780_000_000, "by": "民警张", "notes": "正常", "name": "刘租"}],
    }

    def set_class(p: dict[str, Any]) -> dict[str, Any]:
        home["class"] = p["class"]
        return {"household": 7, "class": p["class"]}

    def set_layer(p: dict[str, Any]) -> dict[str, Any]:
        person = next(x for x in home["people"] if x["id"] == p["person"])  # type: ignore[attr-defined]
        person["layer"] = p["layer"]
        return {"person": p["person"], "layer": p["layer"]}

    def add_visit(p: dict[str, Any]) -> dict[str, Any]:
        assert p["household"] == 7
        home["visits"].insert(0, {"at": 1_790_000_000, "by": p["by"], "notes": p["notes"]})  # type: ignore[attr-defined]
        return {"id": 2}

    return LocalGateway(
        {
            "person.list": lambda p: {
                "items": [{"id": 1, "name": "王小明", "unit": "3-2-1501", "role": "owner"}],
                "total": 1,
            },
            "household.show": lambda p: home,
            "household.set_class": set_class,
            "tenant.set_layer": set_layer,
            "visit.add": add_visit,
        }
    )


def test_household_opened_from_a_search_and_classed() -> None:
    gw = household_core()
    vm = HouseholdVM(gw, Strings("zh"))
    vm.set_class("focus")
    assert vm.note == "请先打开一户"
    vm.finder.search("wxm")
    assert vm.result_text(vm.finder.items[0]) == "王小明  3-2-1501  业主"
    vm.open(int(vm.finder.items[0]["id"]))
    assert ("household.show", {"person": 1}) in gw.requests
    assert vm.title == "3-2-1501 住户 (2 人)" and vm.class_text == "房屋分类: 未分类"
    text = vm.members_text
    assert "门卡 …4321" in text and "密码" in text and "4321" in text
    assert "刘租  租户 · 关注层" in text and "租期 2026-01-01 至 2026-12-31" in text
    assert "民警张" in vm.visits_text
    vm.set_class("focus")
    assert vm.class_text == "房屋分类: 重点户" and vm.note == "3-2-1501 已设为 重点户"
    assert gw.requests[-2] == (
        "household.set_class",
        {"household": 7, "class": "focus", "by": "manager console"},
    )
    vm.set_layer(1, "focus")  # the owner is not a tenant
    assert vm.note == "请先选择一位租户" and [p["name"] for p in vm.tenants] == ["刘租"]
    vm.set_layer(2, "")
    assert vm.note == "请先选择分层"
    vm.set_layer(2, "stable")
    assert vm.note == "刘租 已设为 稳定层" and "刘租  租户 · 稳定层" in vm.members_text
    vm.t.toggle()
    assert vm.note == "刘租 is now in the stable layer"
    vm.t.toggle()
    vm.record_visit("", "正常")
    assert vm.note == "请填写走访人" and vm.visits_recorded == 0
    vm.record_visit("网格员李", "出租屋消防检查正常")
    assert vm.note == "已记录对 3-2-1501 的走访" and vm.visits_recorded == 1
    assert "网格员李  出租屋消防检查正常" in vm.visits_text.splitlines()[1]
    vm.t.toggle()
    assert vm.note == "Visit to 3-2-1501 recorded" and "card …4321" in vm.members_text


def test_a_notice_for_some_buildings_says_so() -> None:
    def post(p: dict[str, Any]) -> dict[str, Any]:
        if p.get("buildings") == "99":
            raise InvalidInput("unknown building 99")
        return {
            "id": 1,
            "buildings": p.get("buildings", "").split(",") if p.get("buildings") else [],
        }

    gw = LocalGateway({"notice.post": post})
    vm = ManagerVM(gw, Strings("zh"))
    vm.post_notice("周三停水", "2030-01-01", "1,3")
    assert gw.requests[-1][1]["buildings"] == "1,3" and vm.note == "通知已发布到 1,3 号楼"
    vm.post_notice("周三停水", "2030-01-01", "99")
    assert not vm.note_ok
    vm.post_notice("全体通知", "2030-01-01")
    assert "buildings" not in gw.requests[-1][1] and vm.note_ok


def test_a_door_panel_shows_the_notices_for_its_buildings() -> None:
    from compound.domain.clock import ManualClock
    from ui.viewmodels.door import DoorPanelVM

    doors = [{"id": "b3-e2", "serves": ["3-2"]}, {"id": "gate", "serves": ["*"]}]
    posted = {
        "notices": [
            {"id": 2, "text": "1号楼停水", "buildings": ["1"]},
            {"id": 1, "text": "3号楼电梯检修", "buildings": ["2", "3"]},
            {"id": 0, "text": "全体住户", "buildings": []},
        ]
    }
    panels = {}
    for door in ("b3-e2", "gate"):
        gw = LocalGateway({**door_api(doors), "notice.list": lambda p: posted})
        vm = DoorPanelVM(gw, Strings("zh"), ManualClock(), door)
        vm.load()
        panels[door] = (gw, vm)
    assert [n["text"] for n in panels["b3-e2"][1].notices] == ["3号楼电梯检修", "全体住户"]
    assert len(panels["gate"][1].notices) == 3
    gw, vm = panels["b3-e2"]
    gw.deliver("notice", {"notices": [{"id": 3, "text": "1号楼通知", "buildings": ["1"]}]})
    assert vm.notices == [] and vm.notice_pages == []
    gw.deliver("notice", {"notices": [{"id": 4, "text": "3号楼通知", "buildings": ["3"]}]})
    assert [n["text"] for n in vm.notices] == ["3号楼通知"]


def test_holiday_file_is_checked_then_imported_and_its_mistakes_listed() -> None:
    from compound.domain.schedules import read_holiday_csv
    from ui.viewmodels.schedules import file_problems

    imported: list[str] = []

    def holiday_import(p: dict[str, Any]) -> dict[str, Any]:
        rows = read_holiday_csv(p["csv"].encode(), "the holiday list")
        if not p.get("dry_run"):
            imported.extend(r.day.isoformat() for r in rows)
        return {
            "added": len(rows),
            "updated": 0,
            "unchanged": 0,
            "workdays": sum(r.workday for r in rows),
            "years": sorted({r.day.year for r in rows}),
        }

    gw = LocalGateway({"holiday.import": holiday_import, "holiday.list": lambda p: []})
    vm = SchedulesVM(gw, Strings("zh"), year=2026)
    asked: list[dict[str, Any]] = []
    good = "date,name,workday\n2027-10-01,国庆节,0\n2027-10-09,,1\n"
    vm.check_import(good, asked.append)
    assert asked and imported == []  # a dry run first: nothing written until confirmed
    question = vm.import_question(asked[0])
    assert "新增 2 天" in question and "调休上班 1 天" in question and "2027" in question
    vm.do_import(good)
    assert imported == ["2027-10-01", "2027-10-09"] and vm.year == 2027
    assert vm.note == "已导入节假日表 (2 天有变化)"
    bad = "2027-13-01,x\n2027-10-01,国庆节,2\n2027-10-08,,1\n"
    vm.check_import(bad, asked.append)
    assert len(asked) == 1 and not vm.note_ok
    assert vm.note.startswith("节假日表未导入: 第 1 行: 日期“2027-13-01”有误")
    assert "第 2 行: 调休一栏应为 1（周末上班）或 0，不是“2”" in vm.note
    assert "第 3 行: 2027-10-08 不是周末" in vm.note
    assert file_problems("the holiday list: line 4: x; nothing imported") == [(4, "x")]
    assert file_problems("something else") == []
