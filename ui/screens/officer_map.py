"""The wall's site map: the compound's plan with every placed door as a marker coloured by its
state (forced and alarmed doors larger, drawn on top), zoom buttons, what a tapped marker is,
and how many doors are not on the plan. Without a plan it says so: the door tiles on the left
are the wall's view then."""

from __future__ import annotations

from typing import Any

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from ui.screens.site_map import PlanView
from ui.viewmodels.officer import OfficerVM
from ui.widgets import TouchButton


class MapView(BoxLayout):
    vm = ObjectProperty(None)
    info = StringProperty("")

    def __init__(self, vm: OfficerVM, **kw: Any) -> None:
        super().__init__(vm=vm, orientation="vertical", spacing=8, **kw)
        self.plan: PlanView = PlanView(on_marker=self.tapped)
        bar = BoxLayout(size_hint_y=None, height=56, spacing=8)
        self.title = Label(font_size="20sp", bold=True, color=(0.55, 0.75, 1, 1), halign="left")
        self.title.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.title.valign = "middle"
        bar.add_widget(self.title)
        self.zoom_in = TouchButton(text="+", size_hint_x=None, width=64, accent="quiet")
        self.zoom_out = TouchButton(text="−", size_hint_x=None, width=64, accent="quiet")
        self.fit_button = TouchButton(size_hint_x=None, width=120, accent="quiet")
        self.zoom_in.bind(on_release=lambda *_: self.plan.zoom(1.5))
        self.zoom_out.bind(on_release=lambda *_: self.plan.zoom(1 / 1.5))
        self.fit_button.bind(on_release=lambda *_: self.plan.fit())
        for b in (self.zoom_in, self.zoom_out, self.fit_button):
            bar.add_widget(b)
        self.add_widget(bar)
        self.info_label = Label(
            font_size="18sp", size_hint_y=None, height=30, halign="left", valign="middle"
        )
        self.info_label.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.add_widget(self.info_label)
        self.add_widget(self.plan)
        self.empty = Label(font_size="22sp", halign="center", valign="middle")
        self.empty.bind(size=lambda w, s: setattr(w, "text_size", (s[0] * 0.8, None)))
        self._image_version = 0
        self.loaded = False

    def tapped(self, door: str) -> None:
        self.vm.map.selected = door
        self.refresh()

    def refresh(self) -> None:
        vm, t, m = self.vm, self.vm.t, self.vm.map
        if not self.loaded:
            self.loaded = True
            m.load()
        self.fit_button.text = t("map.fit")
        placed = len(m.positions)
        self.title.text = t("map.title", placed=placed, total=len(vm.doors))
        if m.image_version != self._image_version and m.image is not None:
            self._image_version = m.image_version
            self.plan.set_image(m.image)
        have_plan = m.plan is not None
        if have_plan and self.empty.parent is not None:
            self.remove_widget(self.empty)
            self.add_widget(self.plan)
        elif not have_plan and self.plan.parent is not None:
            self.remove_widget(self.plan)
            self.add_widget(self.empty)
        self.empty.text = t("unavailable") if m.available is False else t("map.none")
        states = {d: tile.shown_state for d, tile in vm.doors.items()}
        labels = {d: vm.map_label(d) for d in m.positions}
        self.plan.set_markers(m.markers(states), labels, m.selected)
        tile = vm.doors.get(m.selected)
        if tile is not None:
            self.info = f"{vm.door_name(tile.id)}: {t('state.' + tile.shown_state)}"
        else:
            urgent = [mk for mk in m.markers(states) if mk.state in ("forced", "alarm")]
            self.info = t("map.urgent", n=len(urgent)) if urgent else t("map.hint")
        self.info_label.text = self.info
