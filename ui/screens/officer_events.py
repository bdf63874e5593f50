"""The wall's event viewer: filters as finger-sized buttons (kind of event, time range), a
door chooser, a person picked from the core's search, one page of the log, paging and CSV
export. Drawn from ``ui.viewmodels.officer_events.EventViewer``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.lang import Builder
from kivy.properties import ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

from ui.choices import Choices  # noqa: F401 - used in the kv file
from ui.one_line import cut_row_touched
from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.officer_events import CATEGORIES, RANGES
from ui.widgets import TouchButton

Builder.load_file(str(Path(__file__).with_name("officer_events.kv")))


class EventsView(BoxLayout):
    vm = ObjectProperty(None)
    title = StringProperty("")
    since_hint = StringProperty("")
    until_hint = StringProperty("")
    apply_text = StringProperty("")
    door_text = StringProperty("")
    door_values = ListProperty([])
    building_text = StringProperty("")
    building_values = ListProperty([])
    person_hint = StringProperty("")
    clear_text = StringProperty("")
    filter_text = StringProperty("")
    lines_text = StringProperty("")
    prev_text = StringProperty("")
    next_text = StringProperty("")
    page_text = StringProperty("")
    export_text = StringProperty("")
    export_note = StringProperty("")

    def __init__(self, vm: OfficerVM, **kw: Any) -> None:
        super().__init__(vm=vm, **kw)
        self.category_buttons: dict[str, TouchButton] = {}
        self.range_buttons: dict[str, TouchButton] = {}
        for key in CATEGORIES:
            b = TouchButton(on_release=lambda _b, k=key: vm.events.set_category(k))
            self.category_buttons[key] = b
            self.ids.categories.add_widget(b)
        for key in RANGES:
            b = TouchButton(on_release=lambda _b, k=key: vm.events.set_range(k))
            self.range_buttons[key] = b
            self.ids.ranges.add_widget(b)
        self._door_ids: dict[str, str] = {}
        self._building_keys: dict[str, str] = {}  # the chooser's text -> the building's key
        self._doors_shown: tuple[str, ...] = ()
        self._doors_seen: tuple[Any, ...] = ()
        self._picks_shown: tuple[Any, ...] = ()
        self.loaded = False
        self.export_dir = Path.home()  # where "Export CSV" writes (the wall's user's home)
        # The core is asked once typing pauses, not on every key.
        self._search = Clock.create_trigger(
            lambda _dt: vm.events.people.search(self.ids.person_q.text), 0.3
        )
        # A page is the whole lines the log's view has room for: no half line at its foot.
        self._fit = Clock.create_trigger(lambda _dt: self.fit_page(), 0.1)
        self.ids.lines.parent.bind(height=lambda *_: self._fit())
        self.ids.lines.bind(on_touch_down=lambda w, touch: self.line_touched(touch))
        self.full_line: ModalView | None = None  # a line cut with "…", shown in full

    def line_height(self) -> float:
        """One line of the log as drawn (its font and line spacing)."""
        lines = self.ids.lines
        probe = CoreLabel(text="0", font_size=lines.font_size, font_name=lines.font_name)
        probe.refresh()
        return float(probe.texture.height) * float(lines.line_height)

    def fit_page(self) -> None:
        if self.get_root_window() is None:
            return  # taken off the screen (the wall stopped) since the height changed
        view, ev = self.ids.lines.parent, self.vm.events
        rows = int(view.height // self.line_height())
        if not self.loaded:  # the first page is asked at that size
            ev.page_size = max(1, rows)
        elif view.height > 0:
            ev.fit(rows)

    def line_touched(self, touch: Any) -> bool:
        """A line cut with "…" (a long refusal's reason) touched: shown whole over the log."""
        lines = self.ids.lines
        if not lines.collide_point(*touch.pos):
            return False
        t = self.vm.t
        title = t("officer.full_title", what=t("officer.view_events"))
        shown = cut_row_touched(lines, self.lines_text, touch, title, t("officer.full_close"))
        self.full_line = shown or self.full_line
        return self.full_line is not None and self.full_line.parent is not None

    def person_typed(self, text: str) -> None:
        self._search()

    def door_chosen(self, text: str) -> None:
        door = self._door_ids.get(text)
        if text and (door or None) != self.vm.events.door:
            self.vm.events.set_door(door)

    def building_chosen(self, text: str) -> None:
        if not text or text not in self._building_keys:
            return
        key = self._building_keys[text] or None
        if key != self.vm.events.building:
            groups = {g.key: g for g in self.vm.door_groups()}
            doors = [tile.id for tile in groups[key].tiles] if key in groups else []
            self.vm.events.set_building(key, doors)

    def clear_person(self) -> None:
        self.ids.person_q.text = ""
        self.vm.events.set_person(None)

    def export(self) -> None:
        self.vm.events.export(self.export_dir / self.vm.events.default_export_path().name)

    def refresh(self) -> None:
        vm, t, ev = self.vm, self.vm.t, self.vm.events
        if not self.loaded:
            self.loaded = True
            ev.reload()
        self.title = t("events.title")
        for key, b in self.category_buttons.items():
            b.text = t(f"events.cat.{key}")
            b.accent = "on" if ev.category == key else "quiet"
        for key, b in self.range_buttons.items():
            b.text = t(f"events.range.{key}")
            b.accent = "on" if ev.range_key == key and ev.custom is None else "quiet"
        self.since_hint, self.until_hint = t("events.since"), t("events.until")
        self.apply_text = t("events.apply")
        self.person_hint = t("events.person_hint")
        self.clear_text = t("events.clear")
        self.prev_text, self.next_text = t("events.prev"), t("events.next")
        self.export_text = t("events.export")
        self.page_text = t("events.page", n=ev.page_no)
        self._doors(t)
        self._picks()
        filters = [t(f"events.cat.{ev.category}")]
        if ev.door:
            filters.append(vm.door_name(ev.door))
        elif ev.building:
            filters.append(vm.group_title(ev.building))
        if ev.person is not None:
            filters.append(ev.person_label or f"#{ev.person}")
        self.filter_text = " · ".join(filters) + (f"  —  {ev.note}" if ev.note else "")
        self.lines_text = "\n".join(ev.line(e) for e in ev.items)
        self.export_note = ev.export_note

    def _doors(self, t: Any) -> None:
        # The choosers' lists are made again only when a door or the language changed: sorting
        # and naming 156 doors on every passage's refresh was most of this view's own work.
        if (t.lang, self.vm.door_layout_rev) != self._doors_seen:
            self._doors_seen = (t.lang, self.vm.door_layout_rev)
            self._door_lists(t)
        ev = self.vm.events
        everything = t("events.all_doors")
        self.door_text = self.vm.door_name(ev.door) if ev.door else everything
        every_building = t("events.all_buildings")
        self.building_text = self.vm.group_title(ev.building) if ev.building else every_building

    def _door_lists(self, t: Any) -> None:
        tiles = [tile for g in self.vm.door_groups() for tile in g.tiles]
        names = tuple(self.vm.door_name(tile.id) for tile in tiles)
        everything = t("events.all_doors")
        if names + (everything,) != self._doors_shown:
            self._doors_shown = names + (everything,)
            self._door_ids = {everything: ""} | {
                n: tile.id for n, tile in zip(names, tiles, strict=True)
            }
            self.door_values = [everything, *names]
        every_building = t("events.all_buildings")
        keys = {every_building: ""} | {
            self.vm.group_title(g.key): g.key for g in self.vm.door_groups()
        }
        if keys != self._building_keys:
            self._building_keys = keys
            self.building_values = list(keys)

    def _picks(self) -> None:
        people = self.vm.events.people
        shown = tuple(p.get("id") for p in people.items) if people.query else ()
        if shown == self._picks_shown:
            return
        self._picks_shown = shown
        box = self.ids.picks
        box.clear_widgets()
        for i, p in enumerate(people.items if people.query else []):
            label = f"{p.get('name', '')} {p.get('unit') or ''}".strip()
            box.add_widget(
                TouchButton(
                    text=label,
                    font_size="16sp",
                    accent="primary",
                    size_hint_x=None,
                    width=260,
                    on_release=lambda _b, i=i: self.vm.events.pick(i),
                )
            )
