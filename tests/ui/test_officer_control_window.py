"""Lockdown and remote opens from the officer wall, in a real Kivy window under Xvfb, against
the real core on a real Mosquitto, driven by touches and the card reader.

The wall's broker user is registered with the wall role, so the core judges the override by
that role as it would on an installed box. The officer starts a lockdown identified by PIN on
the pad (a wrong PIN first: refused in the dialog, nothing changes); a tap on a door tile asks
to open it; in lockdown the dialog says the open is an override and refuses to send until the
override switch is on; the officer's card, swiped while the reason has the focus, sends it, the
command reaches the door flagged as an override, and the log names the wall, the officer the
core identified and the reason. Lifted by card, an open is a plain one again."""

from __future__ import annotations

import json
import queue
from pathlib import Path
from typing import Any

import pytest

from compound.store import officers
from tests.ui.conftest import SHOTS, Driver, Site, not_blank
from tests.ui.officer_wall import on_wall

pytestmark = [pytest.mark.ui, pytest.mark.integration]

DOOR = "b3-e2"
WALL_USER = "ui-officer-test"  # the gateway's client id: the asker on a broker without users
OFFICER = "王警官 (0417)"


def register_wall(site: Site) -> None:
    with site.store.transaction() as c:
        c.execute(
            "INSERT INTO devices (name, role, unit, created_at) VALUES (?, 'wall', 'officer', 0)",
            (WALL_USER,),
        )
    officers.add_officer(site.store, "王警官", "0417", "0012345678", "482916", by="所长")


def remote_unlocks(site: Site) -> list[dict[str, Any]]:
    return [dict(e.data) for e in site.store.events(types=["door.remote_unlock"])]


def pin_on_pad(driver: Driver, popup: Any, pin: str) -> None:
    keys = {k.text: k for k in popup.ids.pad.children}
    for digit in pin:
        driver.tap(keys[digit])
    assert popup.mode == "pin" and popup.ids.cred.password and popup.ids.cred.text == pin


def test_officer_locks_down_and_opens_a_door_by_override_from_the_wall(
    site: Site, driver: Driver
) -> None:
    from ui.i18n import Strings

    register_wall(site)
    commands: queue.Queue[dict[str, Any]] = queue.Queue()
    watch = site.bus("test-watch")
    bridge = site.bus("test-bridge")
    watch.subscribe(site.topics.door_cmd(DOOR), lambda m: commands.put(json.loads(m.payload)))
    with on_wall(site, driver, Strings("en")) as built:
        root = built.root
        control = root.control
        driver.until(lambda: control.lockdown is False, what="the core's lockdown state")
        driver.until(lambda: root.lockdown_text == "Lockdown", what="the button drawn")
        assert not root.lockdown_on

        # Start the lockdown: the dialog wants the officer's card or PIN before it sends.
        driver.tap(root.ids.lockdown)
        popup = root.popup
        assert popup is not None and popup.danger and "every door refuses" in popup.question
        assert popup.width >= 1000 and popup.ids.ok.height >= 72
        driver.until(lambda: popup.ids.cred.focus, what="the card field focused for the reader")
        driver.tap(popup.ids.ok)
        assert popup.problem == "Swipe your card" and control.sent == []
        # A PIN of nobody on duty: refused in the dialog, the site not locked down.
        pin_on_pad(driver, popup, "111111")
        driver.tap(popup.ids.ok)
        driver.until(lambda: "Not recognised" in popup.problem, what="the refusal")
        assert popup.problem.endswith("(4 tries left)") and "Nothing was changed" in popup.problem
        assert not site.store.lockdown() and popup.parent is not None
        assert popup.ids.cred.text == ""
        pin_on_pad(driver, popup, "482916")
        driver.tap(popup.ids.ok)
        driver.until(lambda: site.store.lockdown(), what="lockdown on the core")
        driver.until(lambda: root.lockdown_on and popup.parent is None, what="switch, closed")
        assert root.lockdown_text == "Lockdown ON · lift"
        driver.until(lambda: root.control_note == f"Lockdown started by {OFFICER}", what="note")
        ev = site.store.events(types=["site.lockdown"])[-1].data
        assert (ev["actor"], ev["by"], ev["badge"], ev["credential"]) == (
            WALL_USER,
            OFFICER,
            "0417",
            "pin",
        )

        # Open a door in lockdown: an explicit override, with a reason and the officer's card.
        driver.tap(root.tile_views()[DOOR])
        popup = root.popup
        assert "Building 3 entrance 2" in popup.question and "override" in popup.warning
        assert popup.ok_text == "Override and open" and popup.ids.override.height >= 72
        driver.type(popup.ids.reason, "ambulance crew for 3-2-1501, stretcher")
        driver.tap(popup.ids.ok)
        assert popup.problem == "In lockdown, confirm the override first"
        assert [s["method"] for s in control.sent] == ["lockdown.set_officer"] * 2
        driver.tap(popup.ids.override)
        assert popup.override and popup.override_text == "Confirm override: yes"
        # The whole window, the dialog over the wall (Driver.shot draws the wall only).
        not_blank(Path(driver.window.screenshot(name=str(SHOTS / "officer_override.png"))))
        # The officer taps into the reason and swipes the card there: the reader's burst is
        # told from typing, taken as the card, and sends the open.
        driver.tap(popup.ids.reason)
        driver.until(lambda: popup.ids.reason.focus, what="the reason focused")
        driver.swipe("0012345678")
        cmd = commands.get(timeout=30)
        assert cmd["action"] == "unlock" and cmd["override"] is True
        driver.until(lambda: "Override open sent" in root.control_note, what="the wall is told")
        assert OFFICER in root.control_note
        driver.until(lambda: popup.parent is None, what="the dialog closed")
        # The door (here the test, in the bridge's place) answers the command: the wall says so.
        bridge.publish(site.topics.door_ack(DOOR), {"command_id": cmd["id"], "ok": True})
        driver.until(lambda: root.control_note.startswith("Door opened"), what="door's answer")
        (logged,) = remote_unlocks(site)
        assert logged == {
            **logged,
            "actor": WALL_USER,
            "by": OFFICER,
            "badge": "0417",
            "credential": "card",
            "reason": "ambulance crew for 3-2-1501, stretcher",
            "override": True,
        }

        # Lift it by card (the card field has the focus when the dialog opens); an open is a
        # plain one again (no override switch, no flag).
        driver.tap(root.ids.lockdown)
        popup = root.popup
        assert "work again" in popup.question and not popup.danger
        driver.until(lambda: popup.ids.cred.focus, what="the card field focused for the reader")
        driver.swipe("0012345678")
        driver.until(lambda: not site.store.lockdown() and not root.lockdown_on, what="lifted")
        driver.until(lambda: popup.parent is None, what="the dialog closed")
        assert site.store.events(types=["site.lockdown"])[-1].data["credential"] == "card"
        driver.tap(root.tile_views()[DOOR])
        popup = root.popup
        assert popup.warning == "" and popup.override_text == "" and popup.ok_text == "Open door"
        driver.type(popup.ids.reason, "delivery")
        pin_on_pad(driver, popup, "482916")
        driver.tap(popup.ids.ok)
        cmd = commands.get(timeout=30)
        assert cmd["action"] == "unlock" and not cmd.get("override")
        bridge.publish(site.topics.door_ack(DOOR), {"command_id": cmd["id"], "reason": "offline"})
        driver.until(lambda: "refused to open: offline" in root.control_note, what="refusal")
        assert "override" not in remote_unlocks(site)[-1]
