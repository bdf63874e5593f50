"""Lockdown and remote opens from the officer wall, in a real Kivy window under Xvfb, against
the real core on a real Mosquitto, driven by touches.

The wall's broker user is registered with the wall role, so the core judges the override by
that role as it would on an installed box. The officer starts a lockdown (named, confirmed);
a tap on a door tile asks to open it; in lockdown the dialog says the open is an override and
refuses to send until the override switch is on; then the command reaches the door flagged as
an override and the log names the wall, the officer and the reason. Lifted, an open is a plain
one again."""

from __future__ import annotations

import json
import queue
from pathlib import Path
from typing import Any

import pytest

from compound.domain.clock import SystemClock
from tests.ui.conftest import SHOTS, Driver, Site, gateway, not_blank

pytestmark = [pytest.mark.ui, pytest.mark.integration]

DOOR = "b3-e2"
WALL_USER = "ui-officer-test"  # the gateway's client id: the asker on a broker without users


def register_wall(site: Site) -> None:
    with site.store.transaction() as c:
        c.execute(
            "INSERT INTO devices (name, role, unit, created_at) VALUES (?, 'wall', 'officer', 0)",
            (WALL_USER,),
        )


def remote_unlocks(site: Site) -> list[dict[str, Any]]:
    return [dict(e.data) for e in site.store.events(types=["door.remote_unlock"])]


def test_officer_locks_down_and_opens_a_door_by_override_from_the_wall(
    site: Site, driver: Driver
) -> None:
    from ui.app import build_role
    from ui.i18n import Strings

    register_wall(site)
    commands: queue.Queue[dict[str, Any]] = queue.Queue()
    watch = site.bus("test-watch")
    bridge = site.bus("test-bridge")
    watch.subscribe(site.topics.door_cmd(DOOR), lambda m: commands.put(json.loads(m.payload)))
    gw = gateway(site, "officer")
    try:
        built = build_role("officer", gw, Strings("en"), SystemClock(), station="wall")
        root, vm = built.root, built.vm
        driver.mount(root, (1920, 1080))
        vm.load()
        control = root.control
        driver.until(lambda: DOOR in vm.doors and vm.site, what="wall loaded")
        driver.until(lambda: control.lockdown is False, what="the core's lockdown state")
        driver.until(lambda: root.lockdown_text == "Lockdown", what="the button drawn")
        assert not root.lockdown_on

        # Start the lockdown: the dialog wants the officer's name before it sends anything.
        driver.tap(root.ids.lockdown)
        popup = root.popup
        assert popup is not None and popup.danger and "every door refuses" in popup.question
        assert popup.width >= 800 and popup.ids.ok.height >= 72
        driver.tap(popup.ids.ok)
        assert popup.problem == "Enter your name or badge number" and control.sent == []
        driver.type(popup.ids.by, "王警官 0417")
        driver.tap(popup.ids.ok)
        driver.until(lambda: site.store.lockdown(), what="lockdown on the core")
        driver.until(lambda: root.lockdown_on, what="the switch shows it")
        assert root.lockdown_text == "Lockdown ON · lift"
        assert root.control_note == "Lockdown started"
        ev = site.store.events(types=["site.lockdown"])[-1].data
        assert ev["actor"] == WALL_USER and ev["by"] == "王警官 0417"

        # Open a door in lockdown: an explicit override, with a name and a reason.
        driver.tap(root.tile_views()[DOOR])
        popup = root.popup
        assert "Building 3 entrance 2" in popup.question and "override" in popup.warning
        assert popup.ok_text == "Override and open" and popup.ids.override.height >= 72
        driver.type(popup.ids.by, "王警官 0417")
        driver.type(popup.ids.reason, "ambulance crew for 3-2-1501")
        driver.tap(popup.ids.ok)
        assert popup.problem == "In lockdown, confirm the override first"
        assert [s["method"] for s in control.sent] == ["lockdown.set"], "nothing may be sent"
        driver.tap(popup.ids.override)
        assert popup.override and popup.override_text == "Confirm override: yes"
        # The whole window, the dialog over the wall (Driver.shot draws the wall only).
        not_blank(Path(driver.window.screenshot(name=str(SHOTS / "officer_override.png"))))
        driver.tap(popup.ids.ok)
        cmd = commands.get(timeout=30)
        assert cmd["action"] == "unlock" and cmd["override"] is True
        driver.until(lambda: "Override open sent" in root.control_note, what="the wall is told")
        # The door (here the test, in the bridge's place) answers the command: the wall says so.
        bridge.publish(site.topics.door_ack(DOOR), {"command_id": cmd["id"], "ok": True})
        driver.until(lambda: root.control_note.startswith("Door opened"), what="door's answer")
        (logged,) = remote_unlocks(site)
        assert logged == {
            **logged,
            "actor": WALL_USER,
            "by": "王警官 0417",
            "reason": "ambulance crew for 3-2-1501",
            "override": True,
        }

        # Lift it; an open is a plain one again (no override switch, no flag).
        driver.tap(root.ids.lockdown)
        popup = root.popup
        assert "work again" in popup.question and not popup.danger
        driver.type(popup.ids.by, "王警官 0417")
        driver.tap(popup.ids.ok)
        driver.until(lambda: not site.store.lockdown() and not root.lockdown_on, what="lifted")
        driver.tap(root.tile_views()[DOOR])
        popup = root.popup
        assert popup.warning == "" and popup.override_text == "" and popup.ok_text == "Open door"
        driver.type(popup.ids.by, "王警官 0417")
        driver.type(popup.ids.reason, "delivery")
        driver.tap(popup.ids.ok)
        cmd = commands.get(timeout=30)
        assert cmd["action"] == "unlock" and not cmd.get("override")
        bridge.publish(site.topics.door_ack(DOOR), {"command_id": cmd["id"], "reason": "offline"})
        driver.until(lambda: "refused to open: offline" in root.control_note, what="refusal")
        assert "override" not in remote_unlocks(site)[-1]
    finally:
        gw.stop()
