"""The console's schedules page: the doors with their visitor hours (left), the schedules with
the hours of the one chosen, to give it to the chosen door (middle), or in their place the editor
writing a new one span by span (``schedule_editor``), and the holiday list of one year with its
worked weekend days (right)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from compound.domain.model import InvalidInput
from compound.domain.schedules import decode_text
from ui.screens.console_widgets import (
    Confirm,
    Foot,
    Rows,
    Toggle,
    button,
    field,
    list_column,
    note_label,
    show_note,
    text_label,
    title_label,
)
from ui.screens.file_list import FileList
from ui.screens.schedule_editor import ScheduleEditor
from ui.viewmodels.door_parse import door_title
from ui.viewmodels.schedule_draft import schedule_lines
from ui.viewmodels.schedules import DOOR_PAGE, SchedulesVM

SCHEDULE_ROWS = 3  # of two lines each: a schedule's spans are said in its row
HOLIDAY_ROWS = 5


class SchedulesPage(BoxLayout):
    def __init__(
        self,
        vm: SchedulesVM,
        start: Path | None = None,
        keyboard: Callable[[Any], Any] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(orientation="vertical", padding=12, spacing=6, **kw)
        self._saved = vm.saved
        self._sched_saved = vm.sched_saved
        self.vm = vm
        self.start = start or Path.home()  # where the file chooser opens
        self.chooser: ModalView | None = None
        self.confirm: Confirm | None = None
        body = BoxLayout(orientation="horizontal", spacing=14)
        self.add_widget(body)
        self.note = note_label()
        self.sched_page = 1
        self.holiday_page = 1
        self.holiday = ""  # the date chosen for removal
        # -- doors
        left = BoxLayout(orientation="vertical", spacing=6, size_hint_x=0.33)
        self.doors_title = title_label()
        left.add_widget(self.doors_title)
        self.door_rows = Rows(DOOR_PAGE, self._pick_door)
        self.doors_turn = list_column(left, self.door_rows, vm.turn_doors)
        body.add_widget(left)
        # -- schedules: the list, or the editor while a schedule is written
        self.mid = BoxLayout(orientation="vertical", size_hint_x=0.37)
        mid = self.sched_list = BoxLayout(orientation="vertical", spacing=6)
        self.sched_title = title_label()
        mid.add_widget(self.sched_title)
        self.sched_rows = Rows(SCHEDULE_ROWS, self._pick_schedule, lines=2)
        mid.add_widget(self.sched_rows)
        sturn = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.sched_prev = button(lambda: self._turn_sched(-1), "quiet")
        self.sched_next = button(lambda: self._turn_sched(1), "quiet")
        self.assign_none = button(lambda: vm.assign(""), "quiet")
        for w in (self.sched_prev, self.sched_next, self.assign_none):
            sturn.add_widget(w)
        mid.add_widget(sturn)
        acts = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.assign_button = button(lambda: vm.assign())
        self.remove_sched = button(vm.remove_schedule, "danger")
        acts.add_widget(self.assign_button)
        acts.add_widget(self.remove_sched)
        mid.add_widget(acts)
        write = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.new_sched = button(self.open_editor)
        self.edit_sched = button(self.open_edit, "quiet")
        write.add_widget(self.new_sched)
        write.add_widget(self.edit_sched)
        mid.add_widget(write)
        self.sched_detail = text_label("16sp")  # the chosen one's hours, line by line
        self.sched_detail.shorten, self.sched_detail.valign = False, "top"
        mid.add_widget(self.sched_detail)
        self.editor = ScheduleEditor(vm, self.close_editor)
        ed = self.editor
        self.s_name, self.s_days, self.s_from, self.s_to = ed.name, ed.days, ed.start, ed.end
        self.s_holidays, self.add_span, self.add_sched = ed.holidays, ed.add_span, ed.save
        self.mid.add_widget(mid)
        body.add_widget(self.mid)
        # -- holidays
        right = BoxLayout(orientation="vertical", spacing=6, size_hint_x=0.30)
        self.hol_title = title_label()
        right.add_widget(self.hol_title)
        years = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.year_prev = button(lambda: vm.turn_year(-1), "quiet")
        self.year_next = button(lambda: vm.turn_year(1), "quiet")
        self.hol_import = button(self.choose_file, "quiet")
        for w in (self.year_prev, self.year_next, self.hol_import):
            years.add_widget(w)
        right.add_widget(years)
        self.hol_rows = Rows(HOLIDAY_ROWS, self._pick_holiday)
        right.add_widget(self.hol_rows)
        hturn = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.hol_prev = button(lambda: self._turn_holidays(-1), "quiet")
        self.hol_next = button(lambda: self._turn_holidays(1), "quiet")
        self.hol_remove = button(self._remove_holiday, "danger")
        for w in (self.hol_prev, self.hol_next, self.hol_remove):
            hturn.add_widget(w)
        right.add_widget(hturn)
        self.h_date, self.h_name = field(font_size="16sp"), field(font_size="16sp")
        day = BoxLayout(size_hint_y=None, height=52, spacing=6)
        day.add_widget(self.h_date)
        day.add_widget(self.h_name)
        right.add_widget(day)
        hadd = BoxLayout(size_hint_y=None, height=56, spacing=6)
        self.h_workday = Toggle()
        self.add_holiday = button(
            lambda: vm.add_holiday(self.h_date.text, self.h_name.text, self.h_workday.on)
        )
        hadd.add_widget(self.h_workday)
        hadd.add_widget(self.add_holiday)
        right.add_widget(hadd)
        right.add_widget(BoxLayout())
        body.add_widget(right)
        self.foot = Foot(self.note, keyboard, self.s_name)
        self.foot.follow(self.s_name, self.h_name)
        self.add_widget(self.foot)

    # -- the holiday list from a file -------------------------------------------------------

    def choose_file(self) -> ModalView:
        """A chooser for the official list (a USB stick shows under /media)."""
        t = self.vm.t
        view = ModalView(size_hint=(None, None), size=(760, 560), auto_dismiss=False)
        box = BoxLayout(orientation="vertical", padding=12, spacing=8)
        box.add_widget(title_label(text=t("console.choose_file")))
        self.files = FileList(self.start, (".csv",), on_choose=lambda p: self.read_file(p, view))
        box.add_widget(self.files)
        box.add_widget(button(view.dismiss, "quiet", text=t("console.cancel")))
        view.add_widget(box)
        self.chooser = view
        view.open()
        return view

    def read_file(self, path: str, view: ModalView | None = None) -> None:
        if view is not None:
            view.dismiss()
        try:
            text = decode_text(Path(path).read_bytes(), Path(path).name)
        except (OSError, InvalidInput) as e:
            message = str(e.strerror if isinstance(e, OSError) else e)
            self.vm._note = lambda: self.vm.t("error", message=f"{Path(path).name}: {message}")
            self.vm.note_ok = False
            self.vm.changed()
            return
        self.vm.check_import(text, lambda summary: self._ask_import(text, summary))

    def _ask_import(self, text: str, summary: dict[str, Any]) -> None:
        self.confirm = Confirm.ask(
            self.vm.t,
            self.vm.import_question(summary),
            "console.holidays_import_do",
            lambda: self.vm.do_import(text),
            accent="primary",
        )

    # -- touches ---------------------------------------------------------------------------

    def _pick_door(self, i: int) -> None:
        doors = self.vm.page_doors
        if i < len(doors):
            self.vm.choose_door(doors[i]["id"])

    def _page_of(self, rows: list[Any], page: int, size: int) -> list[Any]:
        return rows[(page - 1) * size : page * size]

    def _pick_schedule(self, i: int) -> None:
        shown = self._page_of(self.vm.schedules, self.sched_page, SCHEDULE_ROWS)
        if i < len(shown):
            self.vm.choose_schedule(shown[i]["name"])

    def _turn_sched(self, step: int) -> None:
        pages = max(1, -(-len(self.vm.schedules) // SCHEDULE_ROWS))
        self.sched_page = max(1, min(pages, self.sched_page + step))
        self.refresh()

    def _pick_holiday(self, i: int) -> None:
        shown = self._page_of(self.vm.holidays, self.holiday_page, HOLIDAY_ROWS)
        if i < len(shown):
            self.holiday = shown[i]["date"]
            self.refresh()

    def _turn_holidays(self, step: int) -> None:
        pages = max(1, -(-len(self.vm.holidays) // HOLIDAY_ROWS))
        self.holiday_page = max(1, min(pages, self.holiday_page + step))
        self.refresh()

    def _remove_holiday(self) -> None:
        if self.holiday:
            self.vm.remove_holiday(self.holiday)
            self.holiday = ""

    def open_editor(self) -> None:
        """The editor in place of the list, with a fresh form."""
        self.editor.reset()
        self.mid.clear_widgets()
        self.mid.add_widget(self.editor)
        self.refresh()

    def open_edit(self) -> None:
        """The editor with the chosen schedule's spans, to change its hours in place."""
        self.editor.reset()
        if not self.vm.edit_chosen():
            return
        self.editor.name.text = self.vm.editing
        self.editor.name.disabled = True  # the same schedule: what uses it keeps it
        self.mid.clear_widgets()
        self.mid.add_widget(self.editor)
        self.refresh()

    def close_editor(self) -> None:
        self.vm.draft.clear()
        self.vm.editing = ""
        self.mid.clear_widgets()
        self.mid.add_widget(self.sched_list)
        self.refresh()

    @property
    def editing(self) -> bool:
        return self.editor.parent is not None

    # -- texts -----------------------------------------------------------------------------

    def refresh(self) -> None:
        vm, t = self.vm, self.vm.t
        self.doors_title.text = t("console.doors", n=vm.door_total)
        doors = vm.page_doors
        self.door_rows.show(
            [
                t(
                    "console.door_row",
                    name=door_title(d["id"], d["name"], t),
                    schedule=d["schedule"] or t("console.any_time"),
                )
                for d in doors
            ],
            next((i for i, d in enumerate(doors) if d["id"] == vm.door), None),
        )
        self.doors_turn.say(t, vm.door_page, vm.door_pages)
        self.sched_title.text = t("console.schedules", n=len(vm.schedules))
        shown = self._page_of(vm.schedules, self.sched_page, SCHEDULE_ROWS)
        self.sched_rows.show(
            [vm.schedule_text(s) for s in shown],
            next((i for i, s in enumerate(shown) if s["name"] == vm.schedule), None),
        )
        self.sched_prev.text, self.sched_next.text = t("manager.previous"), t("manager.next")
        self.assign_none.text = t("console.assign_none")
        self.assign_button.text = t("console.assign")
        self.remove_sched.text = t("console.sched_remove")
        self.new_sched.text = t("console.sched_new")
        self.edit_sched.text = t("console.sched_edit")
        chosen = next((s for s in vm.schedules if s["name"] == vm.schedule), None)
        self.sched_detail.text = "\n".join(schedule_lines(chosen, t)) if chosen else ""
        self.editor.refresh()
        if vm.sched_saved != self._sched_saved:  # the schedule written was saved
            self._sched_saved = vm.sched_saved
            if self.editing:
                self.close_editor()
                return
        self.hol_title.text = t("console.holidays", year=vm.year, n=len(vm.holidays))
        self.year_prev.text, self.year_next.text = t("console.prev_year"), t("console.next_year")
        self.hol_import.text = t("console.holidays_file")
        pages = max(1, -(-len(vm.holidays) // HOLIDAY_ROWS))
        self.holiday_page = min(self.holiday_page, pages)
        hols = self._page_of(vm.holidays, self.holiday_page, HOLIDAY_ROWS)
        self.hol_rows.show(
            [vm.holiday_text(h) for h in hols],
            next((i for i, h in enumerate(hols) if h["date"] == self.holiday), None),
        )
        self.hol_prev.text, self.hol_next.text = t("manager.previous"), t("manager.next")
        self.hol_remove.text = t("console.holiday_remove")
        self.h_date.hint_text = t("console.holiday_date")
        self.h_name.hint_text = t("console.holiday_name")
        self.h_workday.say(t("console.holiday_workday"))
        self.add_holiday.text = t("console.holiday_add")
        if vm.saved != self._saved:  # something was added: its form is cleared
            self._saved = vm.saved
            self.s_name.text = ""
            self.h_date.text = self.h_name.text = ""
            self.h_workday.set(False)
        show_note(self.note, vm)
        self.foot.keyboard.text = t("manager.pinyin")
