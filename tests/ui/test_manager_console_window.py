"""The console's schedules, household and stations tabs in a real Kivy window under Xvfb,
driven by touches, against the real core on a real Mosquitto (the demo compound)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from compound.services import notices
from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def door_schedule(site: Site, door: str) -> str | None:
    rows = site.store.query(
        "SELECT s.name FROM doors d LEFT JOIN schedules s ON s.id = d.schedule_id WHERE d.id = ?",
        (door,),
    )
    return rows[0]["name"]


def texts(rows: Any) -> list[str]:
    return [b.text for b in rows.buttons if b.text]


def test_schedule_holiday_household_and_station_by_touch(
    site: Site, driver: Driver, tmp_path: Path
) -> None:
    from ui.screens import pinyin_keyboard

    with on_console(site, driver, Strings("zh")) as built:
        root = built.root
        console = root.console
        # -- a schedule for a door, chosen from the list
        driver.tap(console.buttons["schedules"])
        page = console.page("schedules")
        driver.until(lambda: len(texts(page.door_rows)) == 4, what="the doors")
        row = next(i for i, d in enumerate(page.vm.page_doors) if d["id"] == "b1-e1")
        assert "不限时段" in page.door_rows.buttons[row].text
        driver.tap(page.door_rows.buttons[row])
        # A new schedule: the editor takes the list's place.
        driver.tap(page.new_sched)
        assert page.editing
        # The name in Chinese on the screen's pinyin keyboard, into the field last touched.
        driver.tap(page.s_name)
        driver.tap(page.foot.keyboard)
        kb = root.keyboard
        assert kb.target is page.s_name
        driver.until(lambda: pinyin_keyboard._index is not None, timeout=60, what="pinyin table")
        for syllable, char in (("bao", "保"), ("jie", "洁")):
            for ch in syllable:
                driver.tap(kb.keys[ch])
            for _ in range(6):  # the candidate may be on a later page
                shown = [b.text for b in kb.cands]
                if char in shown:
                    break
                driver.tap(kb.more)
            driver.tap(kb.cands[shown.index(char)])
        driver.tap(kb.done)
        driver.pump(0.3)
        assert page.s_name.text == "保洁"
        driver.tap(page.s_days["sat"])  # Monday to Friday are on at first; Saturday too
        driver.type(page.s_from, "7:00")
        driver.type(page.s_to, "25:00")
        driver.tap(page.add_sched)
        driver.until(lambda: "有误" in page.note.text, what="the refusal")
        assert page.note.text.startswith("时间“25:00”有误") and door_schedule(site, "b1-e1") is None
        driver.type(page.s_to, "18:00")
        driver.tap(page.add_sched)
        driver.until(lambda: door_schedule(site, "b1-e1") == "保洁", what="the door's schedule")
        driver.until(lambda: "保洁" in page.door_rows.buttons[row].text, what="the door row")
        assert page.door_rows.buttons[row].text.endswith("·  保洁")
        assert not page.editing and page.s_name.text == ""  # saved: the list again
        assert "保洁: 周一-周六 07:00-18:00" in texts(page.sched_rows)[0]
        # -- a holiday and a worked weekend day, in the year shown
        page.vm.year = 2026
        driver.type(page.h_date, "2026-10-01")
        driver.type(page.h_name, "国庆节")
        driver.tap(page.add_holiday)
        driver.until(lambda: texts(page.hol_rows)[:1] == ["2026-10-01 周四 国庆节"], what="holiday")
        assert page.h_date.text == page.h_name.text == ""  # cleared after saving
        driver.type(page.h_date, "2026-10-10")
        driver.tap(page.h_workday)
        driver.tap(page.add_holiday)
        driver.until(lambda: len(texts(page.hol_rows)) == 2, what="the worked day")
        assert texts(page.hol_rows)[1] == "2026-10-10 周六 (调休上班)"
        assert "2026 年节假日 (2)" == page.hol_title.text
        driver.shot("manager_schedules.png")
        # -- the official list from a file (GBK, as Excel saves it): checked, asked, imported
        sheet = tmp_path / "节假日2027.csv"
        sheet.write_bytes("日期,名称,调休\n2027-01-01,元旦,0\n2027-02-07,,1\n".encode("gbk"))
        page.start = tmp_path
        driver.tap(page.hol_import)
        driver.pump(0.3)
        driver.tap(page.files.buttons[str(sheet)])
        driver.until(lambda: page.confirm is not None, what="the question")
        assert "新增 2 天" in page.confirm.question.text
        assert site.store.query("SELECT * FROM holidays WHERE day LIKE '2027%'") == []
        driver.pump(0.3)
        driver.tap(page.confirm.yes)
        driver.until(lambda: texts(page.hol_rows)[0] == "2027-01-01 周五 元旦", what="2027")
        assert texts(page.hol_rows)[1] == "2027-02-07 周日 (调休上班)"
        assert page.hol_title.text == "2027 年节假日 (2)"
        driver.tap(page.year_prev)
        driver.until(lambda: texts(page.hol_rows)[0].startswith("2026-10-01"), what="2026")
        workdays = site.store.query("SELECT day FROM holidays WHERE workday = 1 ORDER BY day")
        assert [r["day"] for r in workdays] == ["2026-10-10", "2027-02-07"]
        # -- a household opened from a search, and classed
        driver.tap(console.buttons["household"])
        hpage = console.page("household")
        driver.type(hpage.search, "zw")  # 张伟 by initials
        driver.until(lambda: texts(hpage.results)[:1] == ["张伟  3-2-1501  业主"], what="results")
        driver.tap(hpage.results.buttons[0])
        driver.until(lambda: hpage.title.text.startswith("3-2-1501"), what="the household")
        assert "张伟  业主" in hpage.members.text and "李娜  家庭成员" in hpage.members.text
        assert hpage.class_text.text == "房屋分类: 未分类"
        hpage.class_pick.text = "重点户"
        driver.tap(hpage.set_class)
        driver.until(lambda: hpage.class_text.text == "房屋分类: 重点户", what="the class")
        driver.shot("manager_household.png")
        classes = site.store.query("SELECT class FROM household_classes")
        assert [r["class"] for r in classes] == ["focus"]
        assert hpage.layer_row.disabled and hpage.layer_row.opacity == 0  # no tenant there
        driver.type(hpage.search, "wf")  # 王芳, a tenant in 3-2-1502
        driver.until(lambda: texts(hpage.results)[:1] == ["王芳  3-2-1502  租户"], what="王芳")
        driver.tap(hpage.results.buttons[0])
        driver.until(lambda: hpage.tenant_pick.text == "王芳", what="the tenant")
        hpage.layer_pick.text = "重点层"
        driver.tap(hpage.set_layer)
        driver.until(lambda: "王芳  租户 · 重点层" in hpage.members.text, what="the layer")
        layers = site.store.query("SELECT layer FROM tenant_profiles")
        assert [r["layer"] for r in layers] == ["focus"]
        driver.type(hpage.visit_by, "网格员李")
        driver.type(hpage.visit_notes, "消防检查正常")
        driver.tap(hpage.record_visit)
        driver.until(lambda: "网格员李  消防检查正常" in hpage.members.text, what="the visit")
        assert hpage.visit_notes.text == "" and hpage.visit_by.text == "网格员李"
        visits = site.store.query("SELECT by, notes FROM visits")
        assert [(v["by"], v["notes"]) for v in visits] == [("网格员李", "消防检查正常")]
        # -- a station registered, then removed after a confirmation naming its unit
        driver.tap(console.buttons["stations"])
        spage = console.page("stations")
        driver.type(spage.s_station, "st-1601")
        driver.type(spage.s_unit, "3-2-1601")
        driver.tap(spage.add)
        driver.until(lambda: spage.s_station.text == "", what="the form cleared")
        driver.type(spage.search, "3-2-16")
        driver.until(lambda: texts(spage.rows) == ["st-1601  →  3-2-1601"], what="the station")
        driver.tap(spage.rows.buttons[0])
        driver.tap(spage.remove)
        confirm = spage.confirm
        assert confirm is not None and "3-2-1601" in confirm.question.text
        driver.pump(0.3)
        driver.shot("manager_station_remove.png")
        driver.tap(confirm.yes)
        driver.until(lambda: texts(spage.rows) == [], what="the station gone")
        assert site.store.query("SELECT * FROM intercom_stations WHERE station = 'st-1601'") == []
        assert spage.note.text == "已删除 3-2-1601 的室内机 st-1601"
        root.vm.t.toggle()  # the note is said again in the other language
        driver.until(lambda: spage.note.text == "Station st-1601 of 3-2-1601 removed", what="en")
        root.vm.t.toggle()
        driver.until(lambda: spage.note.text.startswith("已删除"), what="the note in Chinese")
        # -- a notice for building 1 only: the doors of building 3 do not get it
        driver.tap(root.ids.tab_notices)
        driver.type(root.ids.n_text, "1号楼周三停水")
        until = time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400))
        driver.type(root.ids.n_until, until)
        driver.type(root.ids.n_buildings, "1")
        driver.tap(root.ids.post)
        driver.until(lambda: root.note_text == "通知已发布到 1 号楼", what="the notice posted")
        now = time.time()
        assert [n["text"] for n in notices.listing(site.store, now, True, "b1-e1")] == [
            "1号楼周三停水"
        ]
        assert notices.listing(site.store, now, True, "b3-e2") == []
        # -- the same tabs in English
        root.vm.t.toggle()
        driver.tap(console.buttons["stations"])
        assert [b.text for b in console.buttons.values()] == ["Schedules", "Stations", "Household"]
        assert spage.note.text == ""  # the note stayed with the action, on its visit to the tab
