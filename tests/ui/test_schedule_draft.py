"""The console's schedule being written span by span, without a display: spans on the same days
become one set, holiday spans the holiday hours, a refusal is said in the screen's language and
follows a language switch, and what is sent to ``schedule.add`` is the core's form."""

from __future__ import annotations

from typing import Any

from compound.domain.schedule_hours import from_params
from tests.ui.fake_doors import door_api
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.schedule_draft import params, schedule_lines
from ui.viewmodels.schedules import SchedulesVM

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def core() -> LocalGateway:
    saved: list[dict[str, Any]] = []

    def add(p: dict[str, Any]) -> dict[str, Any]:
        described = {"id": 1, "name": p["name"], **from_params(p).describe()}
        saved.append(described)
        return described

    def set_hours(p: dict[str, Any]) -> dict[str, Any]:
        described = {"id": 1, "name": p["name"], **from_params(p).describe()}
        saved[:] = [described if s["name"] == p["name"] else s for s in saved]
        return described

    return LocalGateway(
        {
            **door_api([{"id": "gate", "name": "Gate"}], {}),
            "schedule.add": add,
            "schedule.set_hours": set_hours,
            "schedule.list": lambda p: [{**s, "doors": [], "credentials": []} for s in saved],
        }
    )


def test_spans_group_by_days_and_refusals_follow_the_language() -> None:
    gw = core()
    vm = SchedulesVM(gw, Strings("zh"), year=2026)
    assert vm.add_span(WEEKDAYS, False, "6:00", "9:00")
    assert vm.note == "已加入 周一-周五 06:00-09:00" and vm.note_ok
    assert vm.add_span(WEEKDAYS, False, "16:30", "22:00")
    assert vm.add_span(["sat", "sun"], True, "22:00", "02:00")
    assert not vm.add_span(WEEKDAYS, False, "21:00", "23:00")
    assert vm.note == "周一的时间段 16:30-22:00 和 21:00-23:00 重叠：请合并为一段或调整其中一段"
    vm.t.toggle()
    assert vm.note.startswith("On Monday, 16:30-22:00 and 21:00-23:00 overlap")
    vm.t.toggle()
    assert not vm.add_span([], False, "06:00", "07:00") and vm.note == "请先选择星期或节假日"
    assert not vm.add_span(["mon"], False, "", "07:00") and vm.note == "请填写开始和结束时间"
    assert not vm.add_span(["mon"], False, "7:00", "7:00") and "为空" in vm.note
    assert len(vm.draft.spans) == 3
    assert params(vm.draft.spans) == {
        "hours": [
            {"days": "mon-fri", "spans": ["06:00-09:00", "16:30-22:00"]},
            {"days": "sat-sun", "spans": ["22:00-02:00"]},
        ],
        "holidays": ["22:00-02:00"],
    }
    vm.remove_span(1)
    assert vm.note == "已删除 周一-周五 16:30-22:00" and len(vm.draft.spans) == 2
    vm.save_draft("  ")
    assert vm.note == "请填写时段名称" and not any(m == "schedule.add" for m, _ in gw.requests)
    vm.save_draft("大门")
    assert vm.sched_saved == 1 and vm.draft.spans == [] and vm.schedule == "大门"
    sent = next(p for m, p in gw.requests if m == "schedule.add")
    assert sent["hours"][0] == {"days": "mon-fri", "spans": ["06:00-09:00"]}
    assert schedule_lines(vm.schedules[0], vm.t) == [
        "周一-周五: 06:00-09:00",
        "周六-周日: 22:00-次日02:00",
        "节假日: 22:00-次日02:00",
    ]
    # The list's row says the spans themselves, not how many.
    assert vm.schedule_text(vm.schedules[0]) == (
        "大门: 周一-周五 06:00-09:00; 周六-周日 22:00-次日02:00；节假日 22:00-次日02:00"
    )
    vm.save_draft("空")
    assert vm.note == "请至少加入一个时间段"
    # New hours for the saved schedule: its spans back in the draft, saved over it.
    assert vm.edit_chosen() and vm.editing == "大门" and len(vm.draft.spans) == 3
    assert vm.draft.spans[2].holidays and not vm.draft.spans[2].days
    vm.remove_span(2)
    expected = {"name": "大门", **params(vm.draft.spans)}
    assert expected["holidays"] == "closed"
    vm.save_draft("")
    assert [p for m, p in gw.requests if m == "schedule.set_hours"] == [expected]
    assert vm.editing == "" and vm.draft.spans == []
    assert vm.note == "时段“大门”的时间段已更新"
    vm.schedule = ""
    assert not vm.edit_chosen() and vm.note == "请先选择一个时段"
