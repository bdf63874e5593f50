"""The console's schedule editor, in the middle of the schedules page in place of the list while
a schedule is written: its name, the days (tapped), a span's start and end with "holidays
too", and the spans added so far, each with its own remove button, a page of them at a time.

Every control is finger-sized (48 px or more) and every text fits its widget at 1280×800 in
both languages (the window test reads them as drawn)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.uix.boxlayout import BoxLayout

from compound.domain.schedule_hours import MAX_SPANS
from compound.domain.schedules import DAY_NAMES
from ui.screens.console_widgets import (
    ROW_H,
    Toggle,
    button,
    field,
    text_label,
    title_label,
)
from ui.viewmodels.schedule_draft import draft_rows
from ui.viewmodels.schedules import SchedulesVM

SPAN_ROWS = 4  # spans shown at once; more are a page away


class ScheduleEditor(BoxLayout):
    def __init__(self, vm: SchedulesVM, on_close: Callable[[], None], **kw: Any) -> None:
        super().__init__(orientation="vertical", spacing=6, **kw)
        self.vm = vm
        self.page = 1
        self.picked: int | None = None  # the span tapped, to be changed in place
        self.title = title_label()
        self.add_widget(self.title)
        top = BoxLayout(size_hint_y=None, height=ROW_H + 4, spacing=6)
        self.name = field()
        self.save = button(self._save)
        self.cancel = button(on_close, "quiet", size_hint_x=0.3)
        self.save.size_hint_x = 0.3
        for w in (self.name, self.save, self.cancel):
            top.add_widget(w)
        self.add_widget(top)
        # The weekdays are tapped, not typed: one toggle each, Monday to Friday on at first.
        week = BoxLayout(size_hint_y=None, height=ROW_H, spacing=4)
        self.days: dict[str, Toggle] = {}
        for day in DAY_NAMES:
            toggle = Toggle(tick=False, height=ROW_H, font_size="16sp")
            toggle.set(day not in ("sat", "sun"))
            self.days[day] = toggle
            week.add_widget(toggle)
        self.add_widget(week)
        times = BoxLayout(size_hint_y=None, height=ROW_H + 4, spacing=6)
        self.start, self.end = field(font_size="17sp"), field(font_size="17sp")
        self.holidays = Toggle(font_size="17sp", size_hint_x=1.3)
        self.add_span = button(self._add_span_tapped, size_hint_x=1.2)
        for w in (self.start, self.end, self.holidays, self.add_span):
            times.add_widget(w)
        self.add_widget(times)
        self.rows: list[tuple[Any, Any]] = []  # (the span's words, its remove button)
        for i in range(SPAN_ROWS):
            line = BoxLayout(size_hint_y=None, height=ROW_H + 4, spacing=6)
            # A span tapped is put back in the form above, to be changed and replaced.
            words = button(partial(self._pick, i), "quiet", font_size="16sp", halign="left")
            remove = button(partial(self._remove, i), "danger", size_hint_x=None, width=110)
            line.add_widget(words)
            line.add_widget(remove)
            self.rows.append((words, remove))
            self.add_widget(line)
        turn = BoxLayout(size_hint_y=None, height=ROW_H + 4, spacing=6)
        self.prev = button(lambda: self._turn(-1), "quiet")
        self.where = text_label(halign="center")
        self.next = button(lambda: self._turn(1), "quiet")
        for w in (self.prev, self.where, self.next):
            turn.add_widget(w)
        self.add_widget(turn)
        self.add_widget(BoxLayout())

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.vm.draft.spans) // SPAN_ROWS))

    def chosen_days(self) -> list[str]:
        return [day for day, toggle in self.days.items() if toggle.on]

    def _add_span_tapped(self) -> None:
        self._add_span()

    def _add_span(self) -> bool:
        at = self.picked
        added = self.vm.add_span(
            self.chosen_days(), self.holidays.on, self.start.text, self.end.text, at
        )
        if added:  # the next span is typed afresh; the days stay for it
            self.start.text = self.end.text = ""
            self.picked = None
            if at is None:
                self.page = self.pages  # the span just added is in sight
            self.refresh()
        return added

    def _pick(self, i: int) -> None:
        """A span tapped: its days and times in the form, "Add" replacing it; tapped again,
        the form is the next span's."""
        at = (self.page - 1) * SPAN_ROWS + i
        if at >= len(self.vm.draft.spans) or at == self.picked:
            self.picked = None
            self.refresh()
            return
        span = self.vm.draft.spans[at]
        self.picked = at
        days = set(span.days_list)
        for day, toggle in self.days.items():
            toggle.set(day in days)
        self.holidays.set(span.holidays)
        self.start.text, self.end.text = span.start, span.end
        self.refresh()

    def _save(self) -> None:
        # A span typed and not yet added is part of what the manager sees: it is added first
        # (a schedule of one span is typed and saved in one tap).
        if (self.start.text.strip() or self.end.text.strip()) and not self._add_span():
            return
        self.vm.save_draft(self.name.text)

    def _remove(self, i: int) -> None:
        self.picked = None
        self.vm.remove_span((self.page - 1) * SPAN_ROWS + i)
        self.page = min(self.page, self.pages)
        self.refresh()

    def _turn(self, step: int) -> None:
        self.page = max(1, min(self.pages, self.page + step))
        self.refresh()

    def reset(self) -> None:
        """A fresh form: no name, no spans, Monday to Friday."""
        self.vm.draft.clear()
        self.vm.editing = ""
        self.name.text = self.start.text = self.end.text = ""
        self.name.disabled = False
        for day, toggle in self.days.items():
            toggle.set(day not in ("sat", "sun"))
        self.holidays.set(False)
        self.page = 1
        self.picked = None

    def refresh(self) -> None:
        t = self.vm.t
        if self.vm.editing:
            self.title.text = t("console.sched_editing", name=self.vm.editing)
        else:
            self.title.text = t("console.sched_editor", n=MAX_SPANS)
        self.name.hint_text = t("console.sched_name")
        self.save.text = t("console.sched_save")
        self.cancel.text = t("console.cancel")
        for day, toggle in self.days.items():
            toggle.say(t(f"day.{day}"))
        self.start.hint_text = t("console.span_from")
        self.end.hint_text = t("console.span_to")
        self.holidays.say(t("console.span_holidays"))
        self.add_span.text = t(
            "console.span_replace" if self.picked is not None else "console.span_add"
        )
        self.page = min(self.page, self.pages)
        texts = draft_rows(self.vm.draft.spans, t)
        shown = texts[(self.page - 1) * SPAN_ROWS : self.page * SPAN_ROWS]
        for i, (words, remove) in enumerate(self.rows):
            text = shown[i] if i < len(shown) else ""
            if not texts and i == 0:
                text = t("console.span_none")
            words.text = text
            has = i < len(shown)
            words.disabled = not has
            words.accent = (
                "on" if has and self.picked == (self.page - 1) * SPAN_ROWS + i else "quiet"
            )
            remove.text = t("console.span_remove") if has else ""
            remove.disabled = not has
            remove.opacity = 1 if has else 0
        many = len(texts) > SPAN_ROWS
        for w in (self.prev, self.next, self.where):
            w.opacity = 1 if many else 0
            w.disabled = not many
        self.prev.text, self.next.text = t("manager.previous"), t("manager.next")
        self.where.text = t("manager.page", page=self.page, pages=self.pages) if many else ""
