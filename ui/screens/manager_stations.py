"""The console's indoor stations page: a page of stations found by unit or id (left), and the
form to register one, with the removal of the chosen one behind a confirmation naming its unit
(right)."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout

from ui.screens.console_widgets import (
    Confirm,
    Rows,
    button,
    field,
    list_column,
    note_label,
    search_field,
    show_note,
    text_label,
    title_label,
)
from ui.viewmodels.stations import StationsVM


class StationsPage(BoxLayout):
    def __init__(self, vm: StationsVM, **kw: Any) -> None:
        super().__init__(orientation="vertical", padding=12, spacing=6, **kw)
        self.vm = vm
        self.confirm: Confirm | None = None
        self._saved = 0
        body = BoxLayout(spacing=14)
        self.add_widget(body)
        self.note = note_label()
        self.add_widget(self.note)
        left = BoxLayout(orientation="vertical", spacing=6, size_hint_x=0.5)
        self.search = search_field(lambda text: vm.search(text))
        left.add_widget(self.search)
        self.title = title_label()
        left.add_widget(self.title)
        self.rows = Rows(vm.size, self._pick)
        self.turn = list_column(left, self.rows, vm.turn)
        body.add_widget(left)
        right = BoxLayout(orientation="vertical", spacing=8, size_hint_x=0.5)
        self.s_station, self.s_unit = field(), field()
        right.add_widget(self.s_station)
        right.add_widget(self.s_unit)
        self.add = button(lambda: vm.add(self.s_station.text, self.s_unit.text))
        right.add_widget(self.add)
        self.login = text_label("16sp", size_hint_y=None, height=60)
        self.login.shorten = False
        right.add_widget(self.login)
        self.remove = button(lambda: None if self.ask_remove() else None, "danger")
        right.add_widget(self.remove)
        right.add_widget(BoxLayout())
        body.add_widget(right)

    def _pick(self, i: int) -> None:
        if i < len(self.vm.items):
            self.vm.choose(self.vm.items[i])

    def ask_remove(self) -> Confirm | None:
        """The confirmation, naming the station's unit; nothing is removed until it is answered."""
        question = self.vm.removal_question()
        if not question:
            self.vm.tell("console.pick_station", False)
            return None
        self.confirm = Confirm.ask(self.vm.t, question, "console.confirm_remove", self.vm.remove)
        return self.confirm

    def refresh(self) -> None:
        vm, t = self.vm, self.vm.t
        self.search.hint_text = t("console.station_search")
        self.title.text = t("console.stations", n=vm.total)
        self.rows.show(
            [t("console.station_row", station=s["station"], unit=s["unit"]) for s in vm.items],
            vm.items.index(vm.chosen) if vm.chosen in vm.items else None,
        )
        self.turn.say(t, vm.page, vm.pages)
        self.s_station.hint_text = t("console.station_id")
        self.s_unit.hint_text = t("console.station_unit")
        self.add.text = t("console.station_add")
        self.login.text = t("console.station_login")
        self.remove.text = t("console.station_remove")
        if vm.saved != self._saved:  # saved: the form is cleared
            self._saved = vm.saved
            self.s_station.text = self.s_unit.text = ""
        show_note(self.note, vm)
