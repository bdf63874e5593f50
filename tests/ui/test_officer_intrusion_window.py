"""A door forced open interrupts the officer, in a real window (Xvfb) against the real core on a
real Mosquitto: among 120 open "elderly not seen" alarms, the bridge reports a forced door (high,
not critical); the wall pops it up with the door's name and the picture the core kept from that
door's camera, sounds its alert, and the officer acknowledges it from the pop-up by PIN with a
remark. Only the forced door is acknowledged, in the name of the officer the PIN belongs to."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from compound.adapters import images
from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, encode
from compound.services.alarm_snapshots import AlarmSnapshots
from compound.store import officers
from tests.ui.conftest import SHOTS, Driver, Site, gateway, not_blank

pytestmark = [pytest.mark.ui, pytest.mark.integration]

DOOR = "b2-e1"


def test_a_forced_door_among_many_alarms_pops_up_sounds_and_is_acknowledged_by_pin(
    site: Site, driver: Driver
) -> None:
    from ui.app import build_role, save_png
    from ui.i18n import Strings

    officers.add_officer(site.store, "李伟", "0412", None, "482916", by="所长")
    now = SystemClock().now()
    with site.store.transaction():  # the elderly not seen: many, long open, less severe
        for k in range(120):
            site.store.raise_alarm(
                "elderly_unseen", f"resident {k} not seen for 3 days", severity="low", at=now - k
            )
    gw = gateway(site, "officer")
    try:
        built = build_role("officer", gw, Strings("zh"), SystemClock(), station="wall")
        root, vm = built.root, built.vm
        played: list[int] = []
        player = vm.bell.sound  # the wall's own alert sound, counted on the way

        def sound() -> None:
            played.append(1)
            if player is not None:
                player()

        vm.bell.sound = sound
        driver.mount(root, (1920, 1080))
        vm.load()
        driver.until(lambda: vm.alarm_total == 120 and DOOR in vm.doors, what="the queue")
        assert root.urgent_view.popup is None and played == [], "low alarms do not interrupt"
        # The door's camera is sending preview frames; then the bridge reports the door forced.
        rgb = np.zeros((240, 320, 3), dtype=np.uint8)
        rgb[40:200, 120:200] = (90, 140, 200)
        site.bus("test-cam").publish(site.topics.face_frame(DOOR), images.jpeg(rgb))
        snaps = next(e for e in site.core.extensions if isinstance(e, AlarmSnapshots))
        driver.until(lambda: DOOR in snaps.frames, what="the core has the camera's frame")
        site.bus("test-door").publish(
            site.topics.door_event(DOOR), encode(DoorEvent(DOOR, "forced_open", now))
        )
        driver.until(lambda: root.urgent_view.popup is not None, what="the pop-up")
        pop = root.urgent_view.popup
        assert "强行开门" in pop.title and "2号楼" in pop.title  # what, and which door
        driver.until(lambda: pop.ids.camera.has_frame, what="the door's picture in the pop-up")
        assert pop.picture_note == "" and pop.taken.startswith("画面时间")
        assert pop.ids.camera.height >= 300, "the picture area is large enough to look at"
        assert played == [1] and vm.bell.rung == 1, "the forced door sounded, once"
        assert vm.alarm_total == 121
        save_png(pop, str(SHOTS / "officer_forced_popup.png"))
        not_blank(SHOTS / "officer_forced_popup.png")

        # Acknowledge from the pop-up: the officer's window for this one alarm.
        driver.tap(pop.ids.ack)
        driver.until(lambda: root.alarm_queue.popup is not None, what="the ack window")
        ack: Any = root.alarm_queue.popup
        driver.until(lambda: ack.ids.ok.width >= 48, what="the ack window drawn")
        assert root.urgent_view.popup is None
        driver.type(ack.ids.note, "门锁被撬，已到场处置")
        keys = {k.text: k for k in ack.ids.pad.children}
        for digit in "482916":
            driver.tap(keys[digit])
        assert ack.mode == "pin" and ack.ids.cred.password
        driver.tap(ack.ids.ok)
        forced = [a for a in site.store.alarms() if a.kind == "forced_open"]
        assert len(forced) == 1
        driver.until(
            lambda: site.store.alarm(forced[0].id).acknowledged_at is not None,
            what="the forced door acknowledged",
        )
        acked = site.store.alarm(forced[0].id)
        assert (acked.acknowledged_by, acked.note) == ("李伟 (0412)", "门锁被撬，已到场处置")
        (ev,) = site.store.events(types=["alarm.acknowledged"])
        assert ev.data["credential"] == "pin" and ev.data["door"] == DOOR
        assert len(site.store.alarms(open_only=True)) == 120, "only the forced door"
        driver.until(lambda: "李伟 (0412)" in root.ack_note, what="who, on the wall")
        driver.until(lambda: ack.parent is None, what="the ack window closed")
        assert root.urgent_view.popup is None, "an acknowledged alarm does not pop up again"
    finally:
        gw.stop()
