"""Acknowledging at the wall as an identified duty officer, in a real window (Xvfb) against the
real core on a real Mosquitto: a forced door among 120 open alarms, a wrong PIN on the pad
refused in the screen's language with nothing acknowledged, then the officer's card typed by the
reader (a keyboard device: digits and Enter into the focused field, here the remark, where its
speed tells it from typing) with a remark picked by touch; the log names the officer, and the
wall's event viewer shows who and the remark."""

from __future__ import annotations

import pytest

from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, encode
from compound.store import officers
from tests.ui.conftest import SHOTS, WALL_SIZE, Driver, Site, gateway, not_blank, on_screen

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_officer_acknowledges_a_forced_door_among_many_by_card_and_remark(
    site: Site, driver: Driver
) -> None:
    from ui.app import save_png
    from ui.i18n import Strings

    officers.add_officer(site.store, "李伟", "0412", "0012345678", "482916", by="所长")
    now = SystemClock().now()
    with site.store.transaction():  # the elderly not seen: many, long open, less severe
        for k in range(120):
            site.store.raise_alarm(
                "elderly_unseen",
                f"resident {k} not seen for 3 days",
                severity="low",
                at=now - 60 * k,
            )
    with on_screen(driver, gateway(site, "officer"), "officer", WALL_SIZE, Strings("zh")) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: vm.alarm_total == 120 and "b2-e1" in vm.doors, what="alarms")
        site.bus("test-door").publish(
            site.topics.door_event("b2-e1"),
            encode(DoorEvent("b2-e1", "forced_open", SystemClock().now())),
        )
        rows = root.ids.alarms.children
        driver.until(
            lambda: any("2号楼" in getattr(r, "text", "") for r in rows), what="forced row"
        )
        assert vm.alarm_total == 121
        # A forced door pops up over the wall (test_officer_intrusion_window.py acknowledges it
        # from there); closed, the officer takes it from the queue.
        driver.until(lambda: root.urgent_view.popup is not None, what="the urgent pop-up")
        driver.tap(root.urgent_view.popup.ids.close)
        driver.until(lambda: root.urgent_view.popup is None, what="the pop-up closed")
        forced_row = rows[-1]  # the most severe heads the queue
        assert "2号楼" in forced_row.text and "强行开门" in forced_row.text
        forced_id = forced_row.alarm_ids[0]
        driver.tap(forced_row.children[0])
        popup = root.alarm_queue.popup
        assert popup is not None
        driver.until(lambda: popup.ids.ok.width >= 48, what="the acknowledgement window")
        driver.until(lambda: popup.ids.cred.focus, what="the card field focused for the reader")
        # A wrong PIN on the pad: refused in Chinese, nothing acknowledged.
        driver.tap(popup.ids.presets.children[-1])  # "已到场处置"
        assert popup.ids.note.text == "已到场处置"
        keys = {k.text: k for k in popup.ids.pad.children}
        for digit in "97":  # a PIN of nobody on duty (short: every tap is a frame or two)
            driver.tap(keys[digit])
        assert popup.ids.cred.text == "97"
        assert popup.mode == "pin" and popup.ids.cred.password
        driver.tap(popup.ids.ok)
        driver.until(lambda: "身份未通过核验" in popup.problem, what="refusal shown")
        assert site.store.alarm(forced_id).acknowledged_at is None
        assert popup.ids.cred.text == "" and popup.parent is not None
        save_png(popup, str(SHOTS / "officer_ack_refused.png"))
        not_blank(SHOTS / "officer_ack_refused.png")
        # The card field has the focus again; but the officer taps into the remark and swipes
        # the card there: the reader's burst is told from typing and taken as the card.
        driver.until(lambda: popup.ids.cred.focus, what="the card field focused again")
        driver.tap(popup.ids.note)
        driver.until(lambda: popup.ids.note.focus, what="the remark focused")
        driver.swipe("0012345678")
        driver.until(
            lambda: site.store.alarm(forced_id).acknowledged_at is not None, what="acknowledged"
        )
        driver.until(lambda: popup.parent is None, what="the window closed")
        acked = site.store.alarm(forced_id)
        assert (acked.acknowledged_by, acked.note) == ("李伟 (0412)", "已到场处置")
        assert len(site.store.alarms(open_only=True)) == 120, "only the forced door"
        (ev,) = site.store.events(types=["alarm.acknowledged"])
        assert ev.data["badge"] == "0412" and ev.data["credential"] == "card"
        driver.until(lambda: "李伟 (0412)" in root.ack_note, what="who, on the wall")
        # The event viewer: alarms, the acknowledgement naming the officer and the remark.
        driver.tap(root.ids.view_events)
        view = root.views["events"]
        driver.until(lambda: view.category_buttons["alarms"].width >= 48, what="event viewer")
        driver.tap(view.category_buttons["alarms"])
        driver.until(
            lambda: "李伟 (0412) · 已到场处置" in view.lines_text, what="the log names the officer"
        )
        assert "报警已确认" in view.lines_text
        not_blank(driver.shot("officer_ack_event_log.png"))
