"""The wall's alarm zones view: the counts at the top, a page of zones (tripped, tampered and
offline first; by bridge or by name), each with its kind, state, arming and last trip, and a
finger-sized arm or disarm button that asks for the duty officer's card or PIN in the wall's
confirmation dialog (``officer_control.ConfirmPopup``). Drawn from
``ui.viewmodels.officer_zones.ZoneBoard``, which is made with this view: the overview never
holds a zone row nor listens to a zone."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from ui.screens.officer_control import ConfirmPopup
from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.officer_control import WallControl
from ui.viewmodels.officer_zones import Key, ZoneBoard

Builder.load_file(str(Path(__file__).with_name("officer_zones.kv")))

ROW_H, ROW_GAP = 64, 6  # a row's height and the gap between rows (officer_zones.kv)
COLOURS = {
    "alarm": (0.80, 0.16, 0.16, 1),
    "tamper": (0.85, 0.45, 0.10, 1),
    "offline": (0.40, 0.40, 0.45, 1),
    "normal": (0.13, 0.45, 0.30, 1),
}


class ZoneRow(BoxLayout):
    state_text = StringProperty("")
    colour = ListProperty([0, 0, 0, 0])
    name_text = StringProperty("")  # empty: a row with no zone on this page (not drawn)
    kind_text = StringProperty("")
    arm_text = StringProperty("")
    trip_text = StringProperty("")
    button_text = StringProperty("")  # empty: nothing to do (a 24-hour zone)
    disarmed = BooleanProperty(False)

    def __init__(self, view: ZonesView, **kw: Any) -> None:
        super().__init__(**kw)
        self.view = view
        self.key: Key | None = None
        self.arm = True  # what the button does

    def tapped(self) -> None:
        if self.key is not None and self.button_text:
            self.view.ask(self.key, self.arm)


class ZonesView(BoxLayout):
    vm = ObjectProperty(None)
    board = ObjectProperty(None)
    title = StringProperty("")
    by_bridge_text = StringProperty("")
    by_name_text = StringProperty("")
    order = StringProperty("bridge")
    counts_text = StringProperty("")
    troubled = BooleanProperty(False)
    note_text = StringProperty("")
    note_ok = BooleanProperty(True)
    prev_text = StringProperty("")
    next_text = StringProperty("")
    page_text = StringProperty("")

    def __init__(self, vm: OfficerVM, control: WallControl, **kw: Any) -> None:
        self._trigger = Clock.create_trigger(lambda _dt: self.refresh(), 0.05)
        board = ZoneBoard(vm.gw, vm.t, self._trigger)
        super().__init__(vm=vm, board=board, **kw)
        self.control = control
        self.rows: list[ZoneRow] = []
        self.popup: ConfirmPopup | None = None
        # A page is the rows the view has room for.
        self._fit = Clock.create_trigger(lambda _dt: self.fit_rows(), 0.1)
        self.ids.rows.bind(height=lambda *_: self._fit())

    def showing(self, shown: bool) -> None:
        """Shown: follow the zones and read them again; hidden: listen to nothing."""
        if shown:
            self.board.start()
        else:
            self.board.stop()
            self._trigger.cancel()

    def fit_rows(self) -> None:
        if self.get_root_window() is None:
            return  # hidden (or the wall stopped) since the height changed
        n = max(1, int((self.ids.rows.height + ROW_GAP) // (ROW_H + ROW_GAP)))
        if n != len(self.rows):
            box = self.ids.rows
            while len(self.rows) > n:
                box.remove_widget(self.rows.pop())
            while len(self.rows) < n:
                self.rows.append(ZoneRow(self))
                box.add_widget(self.rows[-1])
            self.board.fit(n)
            self.refresh()

    def ask(self, key: Key, arm: bool) -> ConfirmPopup:
        """The confirmation naming the zone; the officer's card or PIN sends it."""
        t, board = self.vm.t, self.board
        z = board.zones.get(key, {"name": key[1], "location": ""})
        where = z["location"] or key[0]
        self.popup = ConfirmPopup(
            self.control,
            lambda kind, value, reason, _over, done: board.set_armed(
                key, arm, kind, value, reason, done
            ),
            title=t("zones.arm_title" if arm else "zones.disarm_title"),
            question=t("zones.arm_ask" if arm else "zones.disarm_ask", zone=z["name"], where=where),
            reason_hint="" if arm else t("zones.disarm_reason"),
            ok_text=t("zones.arm" if arm else "zones.disarm"),
            danger=not arm,
        )
        self.popup.open()
        return self.popup

    def refresh(self) -> None:
        t, board = self.vm.t, self.board
        self.title = t("zones.title")
        self.by_bridge_text, self.by_name_text = t("zones.order.bridge"), t("zones.order.name")
        self.order = board.order
        c = board.counts()
        if board.total is None:
            self.counts_text = t("zones.loading")
        elif not board.zones:
            self.counts_text = t("zones.none")
        else:
            n = len(board.zones)
            states = {s: c[s] for s in ("alarm", "tamper", "offline", "disarmed")}
            self.counts_text = t("zones.counts", n=n, **states)
        self.troubled = bool(c["alarm"] or c["tamper"] or c["offline"])
        self.note_text, self.note_ok = board.note, board.note_ok
        self.prev_text, self.next_text = t("zones.prev"), t("zones.next")
        page = board.page()
        self.page_text = t("zones.page", n=board.page_no, of=board.pages)
        for i, row in enumerate(self.rows):
            self._row(row, page[i] if i < len(page) else None)

    def _row(self, row: ZoneRow, z: dict[str, Any] | None) -> None:
        t = self.vm.t
        if z is None:
            row.key, row.name_text, row.button_text = None, "", ""
            return
        row.key = (z["bridge"], z["zone"])
        row.state_text = t(f"zones.state.{z['state']}")
        row.colour = list(COLOURS.get(z["state"], COLOURS["offline"]))
        second = " · ".join(x for x in (z["bridge"], z["location"]) if x)
        row.name_text = f"{z['name']}\n{second}"
        row.kind_text = t(f"zones.kind.{z['kind']}")
        row.disarmed = z["armed"] is False and not z["schedule"]
        if z["always"]:
            row.arm_text = t("zones.always")
        elif z["schedule"]:
            key = "zones.schedule" if z["armed"] else "zones.schedule_off"
            row.arm_text = t(key, s=z["schedule"])
        else:
            row.arm_text = t("zones.disarmed" if row.disarmed else "zones.armed")
        at = z["trip_at"]
        when = time.strftime("%m-%d %H:%M", time.localtime(at)) if at is not None else ""
        row.trip_text = t("zones.last_trip", at=when) if when else t("zones.never")
        # A 24-hour zone is never disarmed: no button (the core refuses it in any case).
        row.arm = row.disarmed or bool(z["schedule"] and not z["armed"])
        row.button_text = "" if z["always"] else t("zones.arm" if row.arm else "zones.disarm")
