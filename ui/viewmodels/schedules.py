"""The console's door schedules and holiday list.

Doors come from ``door.list`` a page at a time (a compound has about 150), each with its
schedule's name (or none: "any time"), and the schedules from ``schedule.list``; the page of
doors is asked again with the schedules after every change. The holiday list is asked for one
year at a time (``holiday.list`` ``{"year"}``), with the worked weekend days (调休) marked. The core
checks every value; its refusals are shown in the screen's language.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from compound.domain.model import InvalidInput
from compound.domain.ordering import natural_key
from ui.gateway import Gateway, Reply
from ui.i18n import Strings
from ui.i18n_core import core_text
from ui.viewmodels.base import Observable
from ui.viewmodels.schedule_draft import Missing, SpanDraft, params, said, said2, schedule_row

DOOR_PAGE = 8
BY = "manager console"


natural = natural_key  # "b2-e1" before "b10-e1": the order the core pages doors in


class Noted(Observable):
    """A viewmodel with a note at the bottom of its page: the last action's outcome, kept as a
    function of the language so a switch re-says it."""

    def __init__(self, gateway: Gateway, strings: Strings) -> None:
        super().__init__()
        self.gw = gateway
        self.t = strings
        self._note: Callable[[], str] = str
        self.note_ok = True

    @property
    def note(self) -> str:
        return self._note()

    def clear_note(self) -> None:
        self._note, self.note_ok = str, True
        self.changed()

    def tell(self, key: str, ok: bool = True, **kw: Any) -> None:
        self._note = lambda: self.t(key, **kw)
        self.note_ok = ok
        self.changed()

    def refused(self, reply: Reply) -> None:
        error, unavailable = reply.error, reply.unavailable
        self._note = lambda: self.t("unavailable") if unavailable else core_text(error, self.t)
        self.note_ok = False
        self.changed()

    def then(self, fn: Callable[[Any], None]) -> Callable[[Reply], None]:
        """A reply handler: ``fn(result)`` when done, the refusal shown otherwise."""

        def handle(reply: Reply) -> None:
            if reply.ok:
                fn(reply.result)
            else:
                self.refused(reply)

        return handle


class SchedulesVM(Noted):
    def __init__(self, gateway: Gateway, strings: Strings, year: int | None = None) -> None:
        super().__init__(gateway, strings)
        self.doors: list[dict[str, Any]] = []  # the page of doors shown: {id, name, schedule}
        self.door_total = 0  # doors in all, from the core
        self.schedules: list[dict[str, Any]] = []
        self.holidays: list[dict[str, Any]] = []
        self.year = year or time.localtime().tm_year
        self.door_page = 1
        self.door = ""  # the door chosen
        self.schedule = ""  # the schedule chosen
        self.saved = 0  # schedules and dates added: a change tells the screen to clear its forms
        self.draft = SpanDraft()  # the spans of the schedule being written
        self.sched_saved = 0  # schedules added or changed: the screen closes its editor
        self.editing = ""  # the schedule whose hours are being changed ("": a new one)

    # -- loading ---------------------------------------------------------------------------

    def load(self) -> None:
        self.load_schedules()
        self.load_holidays()

    def load_schedules(self) -> None:
        self.gw.request("schedule.list", {}, self.then(self._on_schedules))
        self.load_doors()  # a door's schedule is in its record: the page shows a change

    def load_doors(self) -> None:
        page = self.door_page
        self.gw.request(
            "door.list",
            {"page": page, "size": DOOR_PAGE},
            self.then(lambda r: self._on_doors(r, page)),
        )

    def load_holidays(self) -> None:
        self.gw.request("holiday.list", {"year": self.year}, self.then(self._on_holidays))

    def _on_doors(self, result: Any, page: int) -> None:
        if page != self.door_page or not isinstance(result, dict):
            return  # the manager turned the page meanwhile: that page's answer comes next
        items = [d for d in result.get("items") or [] if isinstance(d, dict) and d.get("id")]
        self.door_total = int(result.get("total") or 0)
        if not items and self.door_total and page > 1:
            self.door_page = self.door_pages  # doors removed under the page: the last one
            self.load_doors()
            return
        self.doors = [
            {"id": d["id"], "name": d.get("name") or d["id"], "schedule": d.get("schedule")}
            for d in items
        ]
        self.changed()

    def _on_schedules(self, result: Any) -> None:
        self.schedules = [s for s in result or [] if isinstance(s, dict)]
        if self.schedule not in {s["name"] for s in self.schedules}:
            self.schedule = ""
        self.changed()

    def _on_holidays(self, result: Any) -> None:
        self.holidays = [h for h in result or [] if isinstance(h, dict)]
        self.changed()

    # -- pages -----------------------------------------------------------------------------

    @property
    def door_pages(self) -> int:
        return max(1, -(-self.door_total // DOOR_PAGE))

    @property
    def page_doors(self) -> list[dict[str, Any]]:
        return self.doors  # the core's page

    def turn_doors(self, step: int) -> None:
        page = max(1, min(self.door_pages, self.door_page + step))
        if page != self.door_page:
            self.door_page = page
            self.load_doors()

    def turn_year(self, step: int) -> None:
        self.year += step
        self.load_holidays()

    def choose_door(self, door_id: str) -> None:
        self.door = door_id
        self.changed()

    def choose_schedule(self, name: str) -> None:
        self.schedule = name
        self.changed()

    # -- schedules -------------------------------------------------------------------------

    def add_schedule(
        self, name: str, days: str, start: str, end: str, open_on_holidays: bool = False
    ) -> None:
        """Add a schedule; with a door chosen it becomes that door's at once."""
        name = name.strip()
        if not name:
            self.tell("console.sched_name_needed", False)
            return
        if not days.strip():
            self.tell("console.sched_days_needed", False)
            return
        params = {
            "name": name,
            "days": days.strip(),
            "from": start.strip(),
            "to": end.strip(),
            "holidays": "open" if open_on_holidays else "closed",
        }
        self._add(params)

    def _add(self, params: dict[str, Any], method: str = "schedule.add") -> None:
        name = str(params["name"])

        def added(_result: Any) -> None:
            self.saved += 1  # the screen clears its forms
            self.sched_saved += 1
            self.schedule, self.editing = name, ""
            self.draft.clear()
            if method != "schedule.add":  # new hours: whatever uses it keeps it
                self.tell("console.sched_changed", name=name)
                self.load_schedules()
            elif self.door:
                self.assign(name)
            else:
                self.tell("console.sched_added", name=name)
                self.load_schedules()

        self.gw.request(method, params, self.then(added))

    # -- a schedule with several spans, written span by span -------------------------------

    def edit_chosen(self) -> bool:
        """The chosen schedule's spans in the draft, to be changed and saved over it."""
        chosen = next((s for s in self.schedules if s["name"] == self.schedule), None)
        if chosen is None:
            self.tell("console.pick_schedule", False)
            return False
        self.draft.load(chosen)
        self.editing = str(chosen["name"])
        return True

    def add_span(
        self, days: list[str], holidays: bool, start: str, end: str, at: int | None = None
    ) -> bool:
        """One more span, or the one at ``at`` changed in place; or at once why not (a choice
        missing, a rule broken: the span changed is then kept as it was)."""
        try:
            if at is not None:
                old = self.draft.spans[at]
                span = self.draft.replace(at, days, holidays, start, end)
                self._say(lambda: said2("console.span_changed", old, span, self.t), True)
                return True
            span = self.draft.add(days, holidays, start, end)
        except Missing as e:
            self.tell(e.key, False)
            return False
        except InvalidInput as e:
            message = str(e)
            self._say(lambda: core_text(message, self.t), False)
            return False
        self._say(lambda: said("console.span_added", span, self.t), True)
        return True

    def remove_span(self, i: int) -> None:
        span = self.draft.remove(i)
        if span is not None:
            self._say(lambda: said("console.span_removed", span, self.t), True)

    def save_draft(self, name: str) -> None:
        """Save the spans written: a new schedule named ``name``, or the one being changed."""
        if not (self.editing or name.strip()):
            self.tell("console.sched_name_needed", False)
        elif not self.draft.spans:
            self.tell("console.spans_needed", False)
        else:
            method = "schedule.set_hours" if self.editing else "schedule.add"
            self._add({"name": self.editing or name.strip(), **params(self.draft.spans)}, method)

    def _say(self, text: Callable[[], str], ok: bool) -> None:
        self._note, self.note_ok = text, ok
        self.changed()

    def assign(self, name: str | None = None) -> None:
        """The chosen door's visitor hours: the chosen schedule, or any time with ``""``."""
        name = self.schedule if name is None else name
        if not self.door:
            self.tell("console.pick_door", False)
            return
        door = self.door

        def done(_result: Any) -> None:
            self._note = lambda: self.t(
                "console.assigned", door=door, schedule=name or self.t("console.any_time")
            )
            self.note_ok = True
            self.load_schedules()

        self.gw.request(
            "door.set_schedule", {"door": door, "schedule": name or None}, self.then(done)
        )

    def remove_schedule(self) -> None:
        name = self.schedule
        if not name:
            self.tell("console.pick_schedule", False)
            return

        def done(_result: Any) -> None:
            self.schedule = ""
            self.tell("console.sched_removed", name=name)
            self.load_schedules()

        self.gw.request("schedule.remove", {"name": name}, self.then(done))

    def schedule_text(self, s: dict[str, Any]) -> str:
        return schedule_row(s, self.t)

    # -- holidays --------------------------------------------------------------------------

    def add_holiday(self, day: str, name: str, workday: bool = False) -> None:
        day = day.strip()

        def done(result: Any) -> None:
            shown = str(result.get("date") if isinstance(result, dict) else day)
            self.saved += 1
            self.tell("console.holiday_added", date=shown)
            if shown[:4].isdigit():
                self.year = int(shown[:4])  # show the year the date went into
            self.load_holidays()

        params = {"date": day, "name": name.strip(), "workday": bool(workday)}
        self.gw.request("holiday.add", params, self.then(done))

    def remove_holiday(self, day: str) -> None:
        def done(_result: Any) -> None:
            self.tell("console.holiday_removed", date=day)
            self.load_holidays()

        self.gw.request("holiday.remove", {"date": day}, self.then(done))

    def holiday_text(self, h: dict[str, Any]) -> str:
        name = str(h.get("name") or "")
        if h.get("workday"):
            name = f"{name} ({self.t('console.workday_mark')})".strip()
        return self.t(
            "console.holiday_row",
            date=h["date"],
            weekday=self.t(f"day.{h.get('weekday', 'mon')}"),
            name=name,
        )

    # -- the official holiday list, from a file --------------------------------------------

    def check_import(self, text: str, then: Callable[[dict[str, Any]], None]) -> None:
        """What importing the file would change (the core's dry run), for ``then`` to ask the
        manager; a file the core refuses is reported line by line, and nothing is imported."""
        params = {"csv": text, "dry_run": True}
        self.gw.request("holiday.import", params, self._import_answer(then))

    def do_import(self, text: str) -> None:
        def done(result: dict[str, Any]) -> None:
            n = int(result.get("added", 0)) + int(result.get("updated", 0))
            self.tell("console.holidays_imported", n=n)
            years = result.get("years") or []
            if years and self.year not in years:
                self.year = int(years[0])
            self.load_holidays()

        self.gw.request("holiday.import", {"csv": text}, self._import_answer(done))

    def _import_answer(self, then: Callable[[dict[str, Any]], None]) -> Callable[[Reply], None]:
        def handle(reply: Reply) -> None:
            if reply.ok and isinstance(reply.result, dict):
                then(reply.result)
                return
            problems = file_problems(reply.error)
            if reply.ok or reply.unavailable or not problems:
                self.refused(reply)
                return
            self._note = lambda: (
                self.t("console.holidays_refused")
                + " "
                + "; ".join(
                    self.t("manager.line_error", line=n, message=core_text(m, self.t))
                    for n, m in problems
                )
            )
            self.note_ok = False
            self.changed()

        return handle

    def import_question(self, summary: dict[str, Any]) -> str:
        return self.t(
            "console.holidays_import_ask",
            added=summary.get("added", 0),
            updated=summary.get("updated", 0),
            unchanged=summary.get("unchanged", 0),
            workdays=summary.get("workdays", 0),
            years=", ".join(str(y) for y in summary.get("years") or []),
        )


def file_problems(error: str) -> list[tuple[int, str]]:
    """``the holiday list: line 3: ...; line 7: ...; nothing imported`` as (line, message)."""
    head, sep, rest = error.partition(": line ")
    if not sep or not rest.endswith("; nothing imported"):
        return []
    out = []
    for part in ("line " + rest[: -len("; nothing imported")]).split("; line "):
        number, _, message = part.removeprefix("line ").partition(": ")
        if number.isdigit():
            out.append((int(number), message))
    return out
