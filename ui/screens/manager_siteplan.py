"""The manager's site plan tab: choose the plan file (PNG or JPEG) and upload it, then pick a
door and tap where it stands on the plan, or drag its marker there from the plan's centre; a
marker already placed is dragged to move it, and a tap on it picks that door again (to take it
off). The file is read and re-encoded off the UI thread."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from compound.domain.model import InvalidInput
from ui.choices import Choices
from ui.i18n import Strings
from ui.screens.file_list import FileList
from ui.screens.site_map import PlanView
from ui.viewmodels.officer_doors import DoorTile, group_tiles, local_name
from ui.viewmodels.site_map import Marker, SiteMap, encode_plan
from ui.widgets import TouchButton


def _text_label(**kw: Any) -> Label:
    lbl = Label(halign="left", valign="middle", **kw)
    lbl.bind(size=lambda w, s: setattr(w, "text_size", s))
    return lbl


class SitePlanTab(BoxLayout):
    def __init__(self, site_map: SiteMap, strings: Strings, start_dir: Path, **kw: Any) -> None:
        super().__init__(orientation="horizontal", padding=12, spacing=12, **kw)
        self.map = site_map
        self.t = strings
        left = BoxLayout(orientation="vertical", size_hint_x=None, width=440, spacing=8)
        self.chooser = FileList(start_dir, (".png", ".jpg", ".jpeg"))
        left.add_widget(self.chooser)
        self.upload_button = TouchButton(size_hint_y=None, height=60)
        self.upload_button.bind(on_release=lambda *_: self.upload())
        left.add_widget(self.upload_button)
        self.status = _text_label(font_size="17sp", size_hint_y=None, height=60)
        left.add_widget(self.status)
        self.door = Choices(font_size="18sp", size_hint_y=None, height=56)
        self.door.bind(text=lambda _w, text: self.door_chosen(text))
        left.add_widget(self.door)
        self.unplace_button = TouchButton(size_hint_y=None, height=56, accent="quiet")
        self.unplace_button.bind(on_release=lambda *_: self.map.unplace())
        left.add_widget(self.unplace_button)
        self.add_widget(left)
        right = BoxLayout(orientation="vertical", spacing=6)
        self.hint = _text_label(font_size="17sp", size_hint_y=None, height=30)
        right.add_widget(self.hint)
        self.plan = PlanView(on_marker=self.marker_tapped, on_place=self.place, on_move=self.moved)
        right.add_widget(self.plan)
        self.add_widget(right)
        self._names: dict[str, str] = {}
        self._image_version = 0
        self.problem = ""
        self.loaded = False

    # -- actions ---------------------------------------------------------------------------

    def upload(self, path: str | None = None) -> bool:
        chosen = path or self.chooser.selected
        if not chosen:
            self.problem = self.t("plan.choose_file")
            self.refresh()
            return False
        self.problem = self.t("working")
        self.refresh()

        def work() -> None:
            try:
                encoded = encode_plan(chosen)
            except InvalidInput as e:
                message = str(e)
                Clock.schedule_once(lambda _dt: self._failed(message), 0)
                return
            Clock.schedule_once(lambda _dt: self.map.upload(encoded, self._uploaded), 0)

        threading.Thread(target=work, name="ui-plan-encode", daemon=True).start()
        return True

    def _failed(self, message: str) -> None:
        self.problem = self.t("error", message=message)
        self.refresh()

    def _uploaded(self, ok: bool) -> None:
        self.problem = self.t("plan.uploaded") if ok else ""
        self.refresh()

    def door_chosen(self, text: str) -> None:
        door = next((d for d, n in self._names.items() if n == text), "")
        if door and door != self.map.selected:
            self.map.selected = door
            self.refresh()

    def marker_tapped(self, door: str) -> None:
        self.map.selected = door
        self.refresh()

    def moved(self, door: str, x: float, y: float) -> None:
        """A marker dragged: the door is placed where it was let go (the chosen door, not yet
        on the plan, waits at the plan's centre to be dragged)."""
        self.map.selected = door
        self.problem = ""
        self.map.place(x, y)

    def place(self, x: float, y: float) -> None:
        if not self.map.selected:
            self.problem = self.t("plan.pick_door")
            self.refresh()
            return
        self.problem = ""
        self.map.place(x, y)

    # -- drawing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        t, m = self.t, self.map
        if not self.loaded:
            self.loaded = True
            m.load()
            m.load_doors()
        self.upload_button.text = t("plan.upload")
        self.unplace_button.text = t("plan.unplace")
        tiles = [
            tile
            for g in group_tiles(
                [
                    DoorTile(
                        str(d["id"]),
                        str(d.get("name") or d["id"]),
                        serves=[str(s) for s in d.get("serves") or []],
                    )
                    for d in m.doors
                ]
            )
            for tile in g.tiles
        ]
        self._names = {tile.id: self._door_name(tile) for tile in tiles}
        unplaced = [tile.id for tile in tiles if tile.id not in m.positions]
        # Doors not yet on the plan first, so the next one to place is at the top.
        order = unplaced + [tile.id for tile in tiles if tile.id in m.positions]
        self.door.values = [self._names[d] for d in order]
        self.door.text = self._names.get(m.selected, t("plan.door"))
        note = m.note and t("error", message=m.note)
        counts = t("plan.placed", placed=len(m.positions), total=len(tiles))
        self.status.text = "\n".join(x for x in (note or self.problem, counts) if x)
        if m.plan is None:
            self.hint.text = t("plan.none")
        elif m.selected:
            self.hint.text = t("plan.place_door", door=self._names.get(m.selected, m.selected))
        else:
            self.hint.text = t("plan.pick_door")
        if m.image_version != self._image_version and m.image is not None:
            self._image_version = m.image_version
            self.plan.set_image(m.image)
        labels = {d: self._short(d) for d in m.positions}
        markers = m.markers({})
        if m.selected and m.selected not in m.positions and m.plan is not None:
            # The chosen door, not yet placed: at the centre, to be dragged where it stands.
            markers.append(Marker(m.selected, 0.5, 0.5, "unknown"))
            labels[m.selected] = self._short(m.selected)
        self.plan.set_markers(markers, labels, m.selected)

    def _door_name(self, tile: DoorTile) -> str:
        if tile.entrance is not None:
            return self.t("officer.door_in", b=tile.building, n=tile.entrance)
        return local_name(tile.name, self.t.lang)

    def _short(self, door: str) -> str:
        """A marker's label: "12-3" for building 12 entrance 3, as on the wall's map."""
        m = re.match(r"^b(\d+)-e(\d+)$", door)
        return f"{m[1]}-{m[2]}" if m else self._names.get(door, door)
