"""The officer's wall display (1920×1080)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from ui.kivy_env import freeze_heap
from ui.one_line import cut_row_touched
from ui.screens.officer_alarms import AlarmQueue
from ui.screens.officer_calls import CallPanel
from ui.screens.officer_control import ConfirmPopup, ask_lockdown, ask_open
from ui.screens.officer_doors import DoorArea, DoorTileView
from ui.screens.officer_passages import PassageLines
from ui.screens.officer_sound import AlertSound
from ui.screens.officer_urgent import UrgentView
from ui.text_fit import LINE, fit_lines
from ui.viewmodels.officer import OfficerVM, describe_row
from ui.viewmodels.officer_control import WallControl
from ui.widgets import WINDOW_BG, HourChart, Panel

Builder.load_file(str(Path(__file__).with_name("officer.kv")))

ALARMS_EVERY_S = 10.0  # the alarm queue is asked again this often
CHART_LIVE_S = 5.0  # the chart takes live entries' counts at most this often


class PagedPanel(Panel):
    """A community list: a tap shows its next page; a tap on a row cut with "…" shows it whole."""

    key = StringProperty("")
    rows_one_line = True  # a page is counted in rows: each is cut to one line (ui/one_line.py)
    full_row: Any = None  # the pop-up of the last cut row touched

    def on_touch_down(self, touch: Any) -> bool:
        rows = self.children[0]
        screen = self.parent
        while screen is not None and not isinstance(screen, OfficerScreen):
            screen = screen.parent
        if self.key and rows.collide_point(*touch.pos) and screen is not None:
            full = fit_lines(self.text, rows.height, rows.font_size)
            t = screen.vm.t
            what = t(f"officer.{self.key}")  # the list's name, without its count or page
            title, close = t("officer.full_title", what=what), t("officer.full_close")
            shown = cut_row_touched(rows, full, touch, title, close)
            if shown is not None:
                self.full_row = shown
                return True
        if self.collide_point(*touch.pos) and self.key:
            if screen is not None:
                if self.key == "search":
                    screen.vm.finder.next_page()
                else:
                    screen.vm.paged.next_page(self.key)
                return True
        return bool(super().on_touch_down(touch))


class OfficerScreen(BoxLayout):
    vm = ObjectProperty(None)
    title_text = StringProperty("")
    time_text = StringProperty("")
    lang_text = StringProperty("")
    banner_text = StringProperty("")
    doors_title = StringProperty("")
    abnormal_title = StringProperty("")
    alarms_title = StringProperty("")
    ack_note = StringProperty("")
    chart_title = StringProperty("")
    passages_title = StringProperty("")
    elderly_title = StringProperty("")
    elderly_text = StringProperty("")
    visits_title = StringProperty("")
    visits_text = StringProperty("")
    strangers_title = StringProperty("")
    strangers_text = StringProperty("")
    search_hint = StringProperty("")
    search_go = StringProperty("")
    search_title = StringProperty("")
    search_text = StringProperty("")
    view = StringProperty("overview")  # what the right part shows: overview, events, map, zones
    overview_text = StringProperty("")
    events_text = StringProperty("")
    map_text = StringProperty("")
    zones_text = StringProperty("")
    lockdown_text = StringProperty("")
    lockdown_on = BooleanProperty(False)
    control_note = StringProperty("")
    control_ok = BooleanProperty(True)
    chart_live_s = CHART_LIVE_S

    def __init__(self, vm: OfficerVM, **kw: object) -> None:
        super().__init__(vm=vm, **kw)
        # The background is the window's clear colour, not a full-screen rectangle: software
        # GL fills a rectangle pixel by pixel on every frame, a clear is one fast fill.
        Window.clearcolor = WINDOW_BG
        self.chart = HourChart()
        self._chart_at = float("-inf")  # when the chart last took the counts (monotonic)
        self._chart_counts: list[int] | None = None  # the view model's list it took them from
        self._chart_later = Clock.create_trigger(self.update_chart, CHART_LIVE_S)
        self._heap_frozen = False
        self.door_area = DoorArea(vm, self.ids.doors, self.ids.abnormal)
        # Lockdown and remote opens: a tap on a door tile asks to open it.
        self.control = WallControl(vm.gw, vm.t, lambda: self._trigger())
        self.door_area.on_tap = self.ask_open
        self.popup: ConfirmPopup | None = None
        self.alarm_queue = AlarmQueue(vm, self.ids.alarms)
        self.urgent_view = UrgentView(vm, self.alarm_queue.ask)  # pop-up with the picture
        self.call_panel = CallPanel(vm)
        # The live passages: a label per line, in place of the panel's one text label.
        self.passage_lines = PassageLines(vm)
        panel = self.ids.passages_panel
        panel.remove_widget(panel.children[0])
        panel.add_widget(self.passage_lines.holder)
        self.alert_sound = AlertSound()
        vm.bell.sound = self.alert_sound.play
        self.ids.call_slot.add_widget(self.call_panel)
        self.views: dict[str, Any] = {"overview": self.ids.overview}
        self.ids.doors.bind(width=lambda *_: self._relayout_doors())
        self._trigger = Clock.create_trigger(lambda dt: self.refresh(), 0.05)
        vm.listeners.append(self._trigger)
        vm.t.listeners.append(self._trigger)
        self._tick = Clock.schedule_interval(lambda dt: self._clock(), 1.0)
        self._minute = Clock.schedule_interval(lambda dt: self.every_minute(), 60.0)
        # The alarm queue follows the event stream; asked again every few seconds as well, so
        # an alarm whose stream message was missed (while reconnecting, a lost reply) still
        # shows. (The flake that brought this in was a bus subscription made while connecting
        # and never sent to the broker; fixed in compound.adapters.mqtt.Bus.subscribe.)
        self._alarm_poll = Clock.schedule_interval(lambda dt: vm.refresh_alarms(), ALARMS_EVERY_S)
        Clock.schedule_once(lambda dt: self._place_chart(), 0)
        # A community list's page is the rows its block shows whole (``fit_lines``' measure).
        self._fit_lists = Clock.create_trigger(lambda dt: self.fit_lists(), 0.1)
        for key in ("elderly", "visits", "strangers"):
            self.ids[f"{key}_panel"].children[0].bind(height=lambda *_: self._fit_lists())
        self.refresh()

    def fit_lists(self) -> None:
        if self.get_root_window() is None:
            return  # the wall stopped since its blocks changed size
        for key in ("elderly", "visits", "strangers"):
            text = self.ids[f"{key}_panel"].children[0]
            self.vm.paged.fit(key, int(text.height // (text.font_size * LINE)))

    def show_view(self, name: str) -> None:
        """Overview, event viewer, site map or alarm zones in the right part; the door area,
        the alarm queue and a ringing call stay where they are."""
        if name not in self.views:
            self.views[name] = self._make_view(name)
        box = self.ids.views
        box.clear_widgets()
        # A view that follows the bus (the zones) listens only while it is shown.
        if name != self.view and hasattr(self.views.get(self.view), "showing"):
            self.views[self.view].showing(False)
        box.add_widget(self.views[name])
        if name != self.view and hasattr(self.views[name], "showing"):
            self.views[name].showing(True)
        self.view = name
        self._trigger()

    def ask_lockdown(self) -> ConfirmPopup:
        self.popup = ask_lockdown(self.control)
        return self.popup

    def ask_open(self, door: str) -> ConfirmPopup:
        vm = self.vm
        state = vm.t(f"state.{vm.doors[door].shown_state}") if door in vm.doors else ""
        self.popup = ask_open(self.control, door, vm.door_name(door), state)
        return self.popup

    def _make_view(self, name: str) -> Any:
        if name == "events":
            from ui.screens.officer_events import EventsView

            return EventsView(self.vm)
        if name == "map":
            from ui.screens.officer_map import MapView

            return MapView(self.vm)
        if name == "zones":
            from ui.screens.officer_zones import ZonesView

            return ZonesView(self.vm, self.control)
        raise ValueError(name)

    def _place_chart(self) -> None:
        # The chart lives inside the chart panel, under its title.
        panel = next(w for w in self.walk() if getattr(w, "title", None) == self.chart_title)
        panel.remove_widget(panel.children[0])
        panel.add_widget(self.chart)

    def every_minute(self) -> None:
        """The chart from the core's histogram again, and the lists' pages."""
        self.vm.refresh_chart()
        self.vm.refresh_lists()

    def _clock(self) -> None:
        self.time_text = time.strftime("%Y-%m-%d %H:%M:%S")
        self.vm.calls.expire()  # a call the core said nothing more of ends here too
        if self.call_panel.shown:
            self.call_panel.refresh()  # the seconds a call has been ringing, an end shown

    def refresh(self) -> None:
        vm, t = self.vm, self.vm.t
        self._clock()
        self.title_text = t("officer.title", site=vm.site)
        self.lang_text = t("lang.switch")
        self.overview_text = t("officer.view_overview")
        self.events_text = t("officer.view_events")
        self.map_text = t("officer.view_map")
        self.zones_text = t("officer.view_zones")
        self.call_panel.refresh()
        self.urgent_view.refresh()
        if self.view != "overview":
            self.views[self.view].refresh()
        self.banner_text = vm.banner
        on = self.control.lockdown
        self.lockdown_on = bool(on)
        self.lockdown_text = t(
            "control.lockdown_unknown"
            if on is None
            else "control.lockdown_button_on"
            if on
            else "control.lockdown_button_off"
        )
        self.control_note, self.control_ok = self.control.note, self.control.note_ok
        self.doors_title = t("officer.doors") + f" ({len(vm.doors)})"
        self.alarms_title = f"{t('officer.alarms')} ({vm.alarm_total})" + vm.alarm_summary()
        self.ack_note = vm.ack_note
        self.chart_title = t("officer.chart")
        self.passages_title = t("officer.passages")
        self.passage_lines.refresh()
        for key in ("elderly", "visits", "strangers"):
            rows = vm.lists[key]
            counts = vm.paged.counts(key)
            more = vm.list_totals.get(key, 0) > vm.paged.size[key]
            hint = f" · {t('officer.page_hint')}" if more else ""
            setattr(
                self, f"{key}_title", t(f"officer.{key}") + (f"  {counts}" if counts else "") + hint
            )
            text = (
                t("unavailable")
                if rows is None
                else ("\n".join(describe_row(r, t) for r in rows) or t("officer.none"))
            )
            setattr(self, f"{key}_text", text)
        self.search_hint = t("officer.search_hint")
        self.search_go = t("officer.search_go")
        self.search_title = t("officer.search") + (f" · {vm.search_note}" if vm.search_note else "")
        self.search_text = "\n".join(vm.search_lines())
        self._doors()
        # After the door area's refresh, which sorted the abnormal doors if they changed.
        self.abnormal_title = t("officer.abnormal", n=len(self.door_area.abnormal()))
        self._alarms()
        if not self._heap_frozen and self.door_area.views and vm.alarms:
            self._heap_frozen = True  # the doors and the alarms are in: the bulk of the heap
            Clock.schedule_once(self._freeze_when_built, 1.0)
        self.update_chart()

    def _freeze_when_built(self, _dt: float = 0) -> None:
        """The heap frozen once every door card is made (they come a few a frame): cards made
        after it would be walked again by every garbage collection."""
        if self.door_area.making:
            Clock.schedule_once(self._freeze_when_built, 0.5)
            return
        freeze_heap()

    def update_chart(self, *_: object) -> None:
        """The 24-hour chart: at once for a new hour or the first time, and a live entry's count
        at most every ``chart_live_s`` (later by itself when sooner). Redrawing the bars and
        their counts for every entry was a fifth of the wall's own work in a frame drawn for a
        passage."""
        now = self.vm.clock.now()
        labels = [time.strftime("%H", time.localtime(now - (23 - i) * 3600)) for i in range(24)]
        counts = self.vm.hourly
        values = list(counts)
        if values == list(self.chart.values) and labels == list(self.chart.labels):
            return
        wait = self.chart_live_s - (time.monotonic() - self._chart_at)
        # The view model makes a new list when the core's histogram comes or the hour moves
        # on, and adds a live entry to the list it has: only live entries wait for the pace.
        if labels != list(self.chart.labels) or counts is not self._chart_counts or wait <= 0:
            self._chart_later.cancel()
            self._chart_at, self._chart_counts = time.monotonic(), counts
            self.chart.labels, self.chart.values = labels, values
        elif not self._chart_later.is_triggered:
            self._chart_later.timeout = wait
            self._chart_later()

    @property
    def chart_waiting(self) -> bool:
        """Whether counts the chart does not show yet are to be drawn later by themselves."""
        return bool(self._chart_later.is_triggered)

    def _doors(self) -> None:
        self.door_area.refresh()

    def _relayout_doors(self) -> None:
        self.door_area.forget_layout()
        self._trigger()

    def tile_views(self) -> dict[str, DoorTileView]:
        """The door tiles by door id, in the order they are shown."""
        return dict(self.door_area.views)

    def _alarms(self) -> None:
        self.alarm_queue.refresh()

    def stop(self) -> None:
        self._tick.cancel()
        self._minute.cancel()
        self._alarm_poll.cancel()
        self._chart_later.cancel()
        self.door_area.stop()
        # A reply or an event still on its way must not draw a stopped wall again (nor open
        # its pop-up over whatever the window shows next).
        for listeners in (self.vm.listeners, self.vm.t.listeners):
            if self._trigger in listeners:
                listeners.remove(self._trigger)
        self._trigger.cancel()
        if hasattr(self.views.get(self.view), "showing"):
            self.views[self.view].showing(False)  # the zones view's subscriptions
        self.urgent_view.close()  # a pop-up lives on the window: it goes with its wall
