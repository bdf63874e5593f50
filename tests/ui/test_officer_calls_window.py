"""The wall as the officer's answering station and event viewer, in a real Kivy window under
Xvfb, against the real core on a real Mosquitto, driven by touches.

A door panel's emergency button (the panel's own viewmodel on its own bus connection) rings
the wall; the officer answers by touch and the panel hears "answered"; the officer opens the
door and the core sends the unlock to that door. Then the officer filters a person's trail in
the event viewer and exports it to a file only the wall's user can read."""

from __future__ import annotations

import csv
import os
import stat
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from compound.adapters import images
from compound.domain.clock import SystemClock
from compound.services.alarm_snapshots import AlarmSnapshots
from tests.ui.conftest import SHOTS, Driver, Site, gateway, not_blank
from tests.ui.officer_wall import on_wall
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_officer_answers_an_emergency_from_a_panel_and_opens_that_door(
    site: Site, driver: Driver
) -> None:
    from ui.app import save_png
    from ui.viewmodels.door import DoorPanelVM

    site.store.add_station("wall", "officer", ("desk", "officer"))
    commands: list[bytes] = []
    got_cmd = threading.Event()

    def on_cmd(msg: Any) -> None:
        commands.append(msg.payload)
        got_cmd.set()

    watch = site.bus("test-watch")
    watch.subscribe(site.topics.door_cmd("b3-e2"), on_cmd)
    with on_wall(site, driver, Strings("en")) as built:
        panel_gw = gateway(site, "door")
        try:
            panel = DoorPanelVM(panel_gw, Strings("zh"), SystemClock(), "b3-e2")
            panel.load()
            root = built.root
            strip = root.call_panel
            assert not strip.shown and strip.height == 0
            # The door camera sees whoever stands there; the core keeps its latest frame.
            rgb = np.zeros((240, 320, 3), dtype=np.uint8)
            rgb[60:180, 100:220] = (200, 160, 120)
            cam = site.bus("test-cam")
            cam.publish(site.topics.face_frame("b3-e2"), images.jpeg(rgb))
            snaps = next(e for e in site.core.extensions if isinstance(e, AlarmSnapshots))
            driver.until(lambda: "b3-e2" in snaps.frames, what="the core has the camera's frame")
            panel.emergency()  # the resident presses the emergency button
            driver.until(lambda: strip.shown, what="the call rings on the wall")
            assert "Emergency call" in strip.headline and "Building 3 entrance 2" in strip.headline
            assert "Ringing" in strip.state_text
            # The emergency pops up with the picture the core kept when the alarm was raised.
            driver.until(lambda: root.urgent_view.popup is not None, what="the urgent pop-up")
            pop = root.urgent_view.popup
            driver.until(lambda: pop.ids.camera.has_frame, what="the picture in the pop-up")
            assert pop.picture_note == "" and "Picture taken at" in pop.taken
            assert "Emergency call" in pop.title and "Building 3 entrance 2" in pop.title
            assert pop.can_answer
            save_png(pop, str(SHOTS / "officer_urgent_popup.png"))
            not_blank(SHOTS / "officer_urgent_popup.png")
            # The strip shows the caller's live picture as it comes.
            cam.publish(site.topics.face_frame("b3-e2"), images.jpeg(rgb))
            driver.until(lambda: strip.ids.camera.has_frame, what="caller's picture")
            # The emergency alarm is on the queue at the same time, not covered by the strip.
            driver.until(lambda: built.vm.alarm_counts.get("emergency"), what="emergency alarm")
            assert built.vm.bell.rung >= 1  # the call (and the critical alarm) sounded
            assert built.root.alert_sound.sound is not None or built.root.alert_sound.failed
            not_blank(driver.shot("officer_call_ringing.png"))
            driver.tap(pop.answer_button)  # answered from the pop-up
            driver.until(lambda: panel.calls.emergency_state == "answered", what="panel hears it")
            driver.until(lambda: root.urgent_view.popup is None, what="the pop-up closed")
            driver.until(lambda: "Talking" in strip.state_text, what="talk state on the wall")
            assert not strip.can_answer
            not_blank(driver.shot("officer_call_talking.png"))
            driver.tap(strip.ids.open_door)
            assert got_cmd.wait(30), "no command reached the calling door"
            assert b"unlock" in commands[0]
            driver.until(lambda: not strip.shown, what="the strip closes when the call ends")
            driver.until(lambda: panel.calls.emergency_id is None, what="panel told the call ended")
            rec = site.store.query("SELECT * FROM call_records")
            assert len(rec) == 1 and rec[0]["answered_by"] == "wall" and rec[0]["door_opened"] == 1
            assert rec[0]["emergency"] == 1
            # A critical alarm at a door whose camera sent nothing: the pop-up says so.
            site.store.raise_alarm("zone", "gate fence cut", severity="critical", door_id="gate")
            driver.until(lambda: root.urgent_view.popup is not None, what="the second pop-up")
            pop = root.urgent_view.popup
            driver.until(lambda: pop.picture_note == "No picture", what="no picture")
            assert not pop.can_answer and pop.answer_button.parent is None
            driver.tap(pop.ids.close)
            driver.until(lambda: root.urgent_view.popup is None, what="closed")
            assert site.store.alarms(open_only=True), "closing acknowledges nothing"
        finally:
            panel_gw.stop()


def test_officer_filters_a_persons_trail_and_exports_it(
    site: Site, driver: Driver, tmp_path: Path
) -> None:
    zhang = site.store.query("SELECT id FROM people WHERE name = '张伟'")[0]["id"]
    li = site.store.query("SELECT id FROM people WHERE name = '李娜'")[0]["id"]
    now = SystemClock().now()
    for i in range(60):  # 60 passages of 张伟 and 60 of 李娜 in the last hour
        for pid, door in ((zhang, "b3-e2"), (li, "gate")):
            site.store.append_event(
                "access.granted",
                at=now - 3300 + i * 55,
                door_id=door,
                person_id=pid,
                data={"kind": "card"},
            )
    with on_wall(site, driver, Strings("en")) as built:
        root = built.root
        driver.tap(root.ids.view_events)
        view = root.views["events"]
        view.export_dir = tmp_path
        driver.until(lambda: view.lines_text, what="the first page of events")
        driver.tap(view.category_buttons["passages"])
        driver.tap(view.range_buttons["1h"])
        driver.type(view.ids.person_q, "zw")  # 张伟 by the initials of his name
        driver.until(lambda: view.ids.picks.children, what="people found")
        driver.tap(view.ids.picks.children[-1])
        driver.until(lambda: built.vm.events.person == zhang, what="person picked")
        # A page is the lines the view has room for (test_officer_events_fit.py).
        page = built.vm.events
        driver.until(
            lambda: len(page.items) == page.page_size and "张伟" in view.lines_text,
            what="his trail",
        )
        lines = view.lines_text.splitlines()
        size = page.page_size
        assert 20 <= size < 60 and len(lines) == size
        assert all("张伟" in ln and "Building 3" in ln for ln in lines)
        assert "李娜" not in view.lines_text
        driver.tap(view.ids.next)
        driver.until(lambda: page.page_no == 2 and len(page.items) == min(size, 60 - size))
        not_blank(driver.shot("officer_events.png"))
        driver.tap(view.ids.export)
        driver.until(lambda: "60 rows written" in view.export_note, what="export finished")
        (out,) = list(tmp_path.glob("compound-events-*.csv"))
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
        assert len(rows) == 60 and {r["person"] for r in rows} == {"张伟"}
        assert {r["door"] for r in rows} == {"b3-e2"}
        # Anyone, one building: its entrances' passages only, chosen by touch.
        driver.tap(view.ids.clear_person)
        driver.choose(view.ids.building, "Building 3")
        driver.until(lambda: built.vm.events.building == "3", what="building 3 chosen")
        driver.until(lambda: "张伟" in view.lines_text, what="building 3's passages")
        assert "李娜" not in view.lines_text and "Building 3" in view.filter_text
        driver.choose(view.ids.building, "Gates and garages")
        driver.until(lambda: "李娜" in view.lines_text, what="the gates' passages")
        assert "张伟" not in view.lines_text


def test_the_wall_says_the_caller_hung_up(site: Site, driver: Driver) -> None:
    """An emergency rings the wall from a door's call topic and the caller hangs up before
    anyone answers: the strip says so, with no buttons to press, instead of ringing on or
    vanishing without a word."""
    from compound.protocol.messages import IntercomCall, encode, new_id

    site.store.add_station("wall", "officer", ("desk", "officer"))
    with on_wall(site, driver, Strings("zh")) as built:
        strip = built.root.call_panel
        door = site.bus("test-panel")
        call_id = new_id()
        now = SystemClock().now()
        door.publish(
            site.topics.intercom_call("b3-e2"), encode(IntercomCall("emergency", call_id, now))
        )
        driver.until(lambda: strip.shown and strip.can_answer, what="the call rings")
        door.publish(
            site.topics.intercom_call("b3-e2"), encode(IntercomCall("hangup", call_id, now + 1))
        )
        driver.until(lambda: "来电方已挂断" in strip.state_text, what="the caller hung up")
        assert strip.shown and "紧急呼叫" in strip.headline and "3号楼2单元" in strip.headline
        assert not strip.can_answer and strip.ids.open_door.disabled and strip.ids.hang_up.disabled
        assert built.vm.calls.current is None
        not_blank(driver.shot("officer_call_hung_up.png"))
