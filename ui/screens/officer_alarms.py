"""The wall's alarm queue: one row per incident, wrapped, emergencies on top in their own colour,
and the window in which a duty officer acknowledges (``officer_ack``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from ui.screens.officer_ack import AckPopup
from ui.viewmodels.officer import OfficerVM
from ui.viewmodels.officer_alarms import Incident

MAX_INCIDENT_ROWS = 30
ROW_DOORS = 6  # doors a row names; the rest are counted


class AlarmRow(BoxLayout):
    text = StringProperty("")
    severity = StringProperty("")
    emergency = BooleanProperty(False)
    ack_text = StringProperty("")

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.alarm_ids: list[int] = []
        self.on_ack_cb: Callable[[list[int]], object] | None = None

    @property
    def alarm_id(self) -> int:
        return self.alarm_ids[0] if self.alarm_ids else 0

    def on_ack(self) -> None:
        if self.on_ack_cb is not None:
            self.on_ack_cb(self.alarm_ids)


class AlarmQueue:
    """Keeps the incident rows in ``box`` in step with the viewmodel."""

    def __init__(self, vm: OfficerVM, box: Any) -> None:
        self.vm = vm
        self.box = box
        self.popup: AckPopup | None = None
        self._shown: tuple[Any, ...] | None = None
        self._page: list[Any] | None = None
        self._page_seen: tuple[Any, ...] = ()

    def refresh(self) -> None:
        box, vm = self.box, self.vm
        # Nothing to do while the same alarm page is shown in the same language: the wall
        # refreshes on every passage, and grouping and wording 60 alarms each time was a fifth
        # of its own work per frame. (The page is a new list whenever the core answers.)
        seen = (vm.t.lang, vm.door_layout_rev)  # the doors' names are in the lines
        if vm.alarms is self._page and seen == self._page_seen:
            return
        self._page, self._page_seen = vm.alarms, seen
        incs = vm.incidents()
        # The rows are built again only when what they say changed: a wall refreshes on every
        # passage, and building 30 rows holds the UI thread for several frames.
        # A row names its first few doors (a fire input's incident can hold sixty: eight lines
        # of names pushed the other incidents out of sight); the pop-up names them all.
        lines = [
            (vm.incident_line(i, most=ROW_DOORS), i.severity, i.emergency, tuple(i.ids))
            for i in incs
        ]
        shown = (vm.t.lang, tuple(lines[:MAX_INCIDENT_ROWS]))
        if shown == self._shown:
            return
        self._shown = shown
        box.clear_widgets()
        if not incs:
            box.add_widget(
                Label(text=vm.t("officer.no_alarms"), font_size="18sp", size_hint_y=None, height=60)
            )
            return
        for inc, (line, *_) in zip(incs[:MAX_INCIDENT_ROWS], lines, strict=False):
            row = AlarmRow(
                text=line,
                severity=inc.severity,
                emergency=inc.emergency,
                ack_text=vm.t("officer.ack"),
            )
            row.alarm_ids = inc.ids
            row.on_ack_cb = lambda ids, inc=inc: self.ask(inc)
            box.add_widget(row)

    def ask(self, inc: Incident) -> AckPopup:
        self.popup = AckPopup(self.vm, inc.ids, self.vm.incident_line(inc))
        self.popup.open()
        return self.popup
