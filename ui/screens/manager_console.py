"""The console's schedules, stations and household tabs, mounted into the manager screen: a tab
button each beside the others, a page each in its screen manager. A page is built when its tab
is first opened (building all three costs the console's start 0.2 to 0.5 s on a busy box), and
loads from the core then and on every later opening (another console or the CLI may have
changed things meanwhile)."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.uix.screenmanager import Screen

from ui.screens.manager_household import HouseholdPage
from ui.screens.manager_schedules import SchedulesPage
from ui.screens.manager_stations import StationsPage
from ui.viewmodels.household import HouseholdVM
from ui.viewmodels.schedules import SchedulesVM
from ui.viewmodels.stations import StationsVM
from ui.widgets import TouchButton

CONSOLE_TABS = ("schedules", "stations", "household")


class ConsoleTabs:
    def __init__(self, screen: Any) -> None:
        vm = screen.vm
        self.screen = screen
        self.t = vm.t
        self.schedules = SchedulesVM(vm.gw, vm.t)
        self.stations = StationsVM(vm.gw, vm.t)
        self.household = HouseholdVM(vm.gw, vm.t)
        self.models: dict[str, Any] = {
            "schedules": self.schedules,
            "stations": self.stations,
            "household": self.household,
        }
        self.pages: dict[str, Any] = {}  # built when first opened
        self.holders: dict[str, Screen] = {}
        self.buttons: dict[str, TouchButton] = {}
        bar = screen.ids.tab_register.parent
        for name in CONSOLE_TABS:
            holder = Screen(name=name)
            screen.ids.pages.add_widget(holder)
            self.holders[name] = holder
            b = TouchButton(accent="quiet")
            b.bind(on_release=lambda _b, name=name: setattr(screen, "tab", name))
            bar.add_widget(b)
            self.buttons[name] = b
        self._trigger = Clock.create_trigger(lambda dt: self.refresh(), 0)
        for model in (self.schedules, self.stations, self.household):
            model.listeners.append(self._trigger)
        vm.t.listeners.append(self._trigger)
        screen.bind(tab=lambda _w, tab: self.opened(tab))
        self.refresh()

    def page(self, name: str) -> Any:
        """The page of a tab, built the first time it is asked for."""
        page = self.pages.get(name)
        if page is None:
            if name == "schedules":
                page = SchedulesPage(self.schedules, keyboard=self.screen.open_keyboard)
            elif name == "stations":
                page = StationsPage(self.stations)
            else:
                page = HouseholdPage(self.household, keyboard=self.screen.open_keyboard)
            self.holders[name].add_widget(page)
            self.pages[name] = page
        return page

    def opened(self, tab: str) -> None:
        if tab in CONSOLE_TABS:
            self.page(tab)
        if tab == "schedules":
            self.schedules.load()
        elif tab == "stations":
            self.stations.load()
        elif tab == "household":
            self.household.finder.refresh()
            self.household.reload()
            self.household.load_schedules()  # for a credential's hours
        self._trigger()

    def clear_notes(self, left: str) -> None:
        """The note of the page left: each says what was done on its own page. An answer that
        comes for a page while another tab is shown waits there for the manager's return."""
        model = self.models.get(left)
        if model is not None:
            model.clear_note()

    def refresh(self) -> None:
        tab = self.screen.tab
        for name, b in self.buttons.items():
            # A page's note while another tab is shown came after the manager left: marked,
            # as the main tabs are (a page's note is cleared when the manager leaves it).
            waiting = tab != name and self.models[name].note
            b.text = self.t(f"console.tab_{name}") + (" ●" if waiting else "")
            b.accent = "on" if tab == name else "quiet"
        page = self.pages.get(tab)
        if page is not None:
            page.refresh()
