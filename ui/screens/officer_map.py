"""The wall's site map: the compound's plan with every placed door as a marker coloured by its
state (forced and alarmed doors larger, drawn on top), zoom buttons, what a tapped marker is,
and how many doors are not on the plan. Without a plan the buildings are drawn as blocks on a
grid with their doors inside (``ui.viewmodels.site_blocks``), until the property office
uploads one."""

from __future__ import annotations

from typing import Any

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from ui.ink import InkLabel
from ui.screens.map_markers import URGENT
from ui.screens.site_map import PlanView
from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.site_blocks import Block, block_layout
from ui.viewmodels.site_map import Marker
from ui.widgets import TouchButton


class MapView(BoxLayout):
    vm = ObjectProperty(None)
    info = StringProperty("")

    def __init__(self, vm: OfficerVM, **kw: Any) -> None:
        super().__init__(vm=vm, orientation="vertical", spacing=8, **kw)
        self.plan: PlanView = PlanView(on_marker=self.tapped)
        bar = BoxLayout(size_hint_y=None, height=56, spacing=8)
        self.title = InkLabel(font_size="20sp", bold=True, color=(0.55, 0.75, 1, 1), halign="left")
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
        self.info_label = InkLabel(
            font_size="18sp", size_hint_y=None, height=30, halign="left", valign="middle"
        )
        self.info_label.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.add_widget(self.info_label)
        self.add_widget(self.plan)
        self.empty = InkLabel(font_size="22sp", halign="center", valign="middle")
        self.empty.bind(size=lambda w, s: setattr(w, "text_size", (s[0] * 0.8, None)))
        self._image_version = 0
        self.loaded = False
        self._layout_key: tuple[Any, ...] = ()
        self._label_cache: tuple[tuple[Any, ...], dict[str, str]] = ((), {})
        self._layout: tuple[list[Block], dict[str, tuple[float, float]]] = ([], {})
        self._titles: dict[str, str] = {}
        # The doors' shown states at the view model's door_rev: a refresh for a passage or an
        # alarm (ten a second) looks at no door, and makes no marker (``_markers``).
        self._states: tuple[int, dict[str, str]] = (-1, {})
        self._marker_cache: tuple[Any, list[Marker]] = (None, [])
        self._urgent = 0  # of the markers: the doors drawn larger

    def tapped(self, door: str) -> None:
        self.vm.map.selected = door
        self.refresh()

    def _labels(self, doors: Any) -> dict[str, str]:
        """The markers' names, made again only when the doors or the language change (156 of
        them on every passage's refresh were a third of the map's work per frame)."""
        key = (self.vm.t.lang, self.vm.door_layout_rev, tuple(doors))
        if key != self._label_cache[0]:
            self._label_cache = (key, {d: self.vm.map_label(d) for d in doors})
        return self._label_cache[1]

    def _blocks(self) -> tuple[list[Block], dict[str, tuple[float, float]]]:
        """The generated layout and the blocks' names, made again only when a door came, went
        or was renamed, or the language changed: sorting the doors into buildings on every
        refresh was most of the map's work for a passage."""
        vm = self.vm
        key = (vm.t.lang, vm.door_layout_rev)
        if key != self._layout_key:
            self._layout_key = key
            groups = vm.door_groups()
            self._layout = block_layout([(g.key, [tile.id for tile in g.tiles]) for g in groups])
            self._titles = {g.key: vm.group_title(g.key) for g in groups}
        return self._layout

    def _markers(
        self, states: dict[str, str], places: dict[str, tuple[float, float]], generated: bool
    ) -> list[Marker]:
        """The markers of these states and places. A door's marker is made again only when its
        state or place changed: the plan finds the ones that changed by identity."""
        key = (generated, states, places)
        if key == self._marker_cache[0]:
            return self._marker_cache[1]
        was = {m.door: m for m in self._marker_cache[1]}
        # A plan's doors by id (``SiteMap.markers``); the generated layout's in its own order.
        items = places.items() if generated else sorted(places.items())
        markers = []
        for d, (x, y) in items:
            m = was.get(d)
            state = states.get(d, "unknown")
            if m is None or (m.x, m.y, m.state) != (x, y, state):
                m = Marker(d, x, y, state)
            markers.append(m)
        self._marker_cache = ((generated, states, dict(places)), markers)
        self._urgent = sum(1 for mk in markers if mk.state in URGENT)
        return markers

    def _shown_states(self) -> dict[str, str]:
        """Each door's shown state, looked at again only after a door changed."""
        vm = self.vm
        rev, states = self._states
        if vm.door_rev != rev:
            changed = vm.door_changes.since(rev)
            if changed is None:
                states = {d: t.shown_state for d, t in vm.doors.items()}
            else:  # the doors changed since: a new dict, as the markers' cache keeps the old
                states = dict(states)
                for door in changed:
                    if (tile := vm.doors.get(door)) is not None:
                        states[door] = tile.shown_state
            self._states = (vm.door_rev, states)
        return states

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
        # Without a plan (or before the core answered): the buildings as generated blocks.
        generated = m.plan is None and m.available is not False and bool(vm.doors)
        show_plan = m.plan is not None or generated
        if show_plan and self.empty.parent is not None:
            self.remove_widget(self.empty)
            self.add_widget(self.plan)
        elif not show_plan and self.plan.parent is not None:
            self.remove_widget(self.plan)
            self.add_widget(self.empty)
        self.empty.text = t("unavailable") if m.available is False else t("map.none")
        states = self._shown_states()
        if generated:
            blocks, spots = self._blocks()
            self.plan.set_blocks(blocks, self._titles)
            self.title.text = t("map.generated", buildings=len(blocks), total=len(vm.doors))
            markers = self._markers(states, spots, generated)
            labels = self._labels(spots)
        else:
            self.plan.set_blocks([], {})
            markers = self._markers(states, m.positions, generated)
            labels = self._labels(m.positions)
        self.plan.set_markers(markers, labels, m.selected)
        tile = vm.doors.get(m.selected)
        if tile is not None:
            self.info = f"{vm.door_name(tile.id)}: {t('state.' + tile.shown_state)}"
        else:
            hint = t("map.generated_hint") if generated else t("map.hint")
            self.info = t("map.urgent", n=self._urgent) if self._urgent else hint
        self.info_label.text = self.info
