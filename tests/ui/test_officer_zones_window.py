"""The wall's alarm zones view in a real Kivy window under Xvfb, against the real core on a real
Mosquitto, with the zones reported by a bridge on their retained state topics, driven by touch.

The overview holds no zone row. The officer opens the zones view: the tripped zone is first and
counted; disarming a zone by PIN on the pad (a confirmation naming it) is done by the core in the
officer's name and the row says so; a trip reported afterwards moves that zone to the top without
the list being read again; a 24-hour zone has no disarm button, and asked anyway the core's
refusal is said in the dialog. A trip raises the core's critical alarm: the wall's urgent
pop-up shows it over the view."""

from __future__ import annotations

from typing import Any

import pytest

from compound.store import officers
from tests.ui.conftest import Driver, Site
from tests.ui.officer_wall import on_wall

pytestmark = [pytest.mark.ui, pytest.mark.integration]

WALL_USER = "ui-officer-test"  # the gateway's client id: the asker on a broker without users
OFFICER = "王警官 (0417)"
NOW = 1_764_547_200.0


def report(zone: str, name: str, kind: str, state: str = "normal", trip: str = "") -> dict:
    body: dict[str, Any] = {"zone": zone, "name": name, "kind": kind, "state": state, "at": NOW}
    body["location"] = "Building 3 rear"
    if trip:
        body["trip"] = {"id": trip, "at": NOW}
    return body


def row_of(view: Any, name: str) -> Any:
    return next(r for r in view.rows if r.name_text.startswith(name))


def test_officer_sees_zones_and_disarms_one_by_pin(site: Site, driver: Driver) -> None:
    from ui.i18n import Strings

    with site.store.transaction() as c:
        c.execute(
            "INSERT INTO devices (name, role, unit, created_at) VALUES (?, 'wall', 'officer', 0)",
            (WALL_USER,),
        )
    officers.add_officer(site.store, "王警官", "0417", "0012345678", "482916", by="所长")
    bridge = site.bus("bridge1")
    for body in (
        report("east-beam", "East beam", "intrusion"),
        report("gate-panic", "Gate panic button", "panic"),
        report("west-fence", "West fence", "perimeter"),
        report("north-fence", "North fence", "perimeter", "alarm", trip="t1"),
    ):
        bridge.publish(site.topics.zone_state("bridge1", body["zone"]), body, retain=True)
    with on_wall(site, driver, Strings("en")) as built:
        root = built.root
        assert "zones" not in root.views, "the overview makes no zone view"
        driver.tap(root.ids.view_zones)
        view = root.views["zones"]
        driver.until(lambda: view.rows and len(view.board.zones) == 4, what="the zones listed")
        driver.until(lambda: view.rows[0].name_text.startswith("North fence"), what="trip first")
        first = view.rows[0]
        assert first.state_text == "Tripped" and first.kind_text == "Perimeter"
        assert first.trip_text.startswith("Tripped ") and "bridge1" in first.name_text
        assert "4 zones · tripped 1 · tamper 0 · offline 0 · disarmed 0" == view.counts_text
        assert row_of(view, "Gate panic").button_text == ""  # a 24-hour zone: no disarm
        assert row_of(view, "Gate panic").arm_text == "Armed 24 h"

        beam = row_of(view, "East beam")
        assert beam.arm_text == "Armed" and beam.button_text == "Disarm"
        driver.tap(beam.ids.act)
        popup = view.popup
        assert popup is not None and "Disarm East beam (Building 3 rear)?" in popup.question
        driver.until(lambda: popup.ids.cred.focus, what="the card field focused for the reader")
        driver.type(popup.ids.reason, "detector cleaning")
        for digit in "482916":
            driver.tap(next(k for k in popup.ids.pad.children if k.text == digit))
        assert popup.ids.cred.text == "482916" and popup.ids.cred.password
        driver.tap(popup.ids.ok)
        driver.until(lambda: popup.parent is None, what="the dialog closed")
        driver.until(lambda: view.note_text == f"East beam disarmed by {OFFICER}", what="note")
        driver.until(lambda: row_of(view, "East beam").arm_text == "Disarmed", what="row")
        assert row_of(view, "East beam").button_text == "Arm"
        assert view.counts_text.endswith("disarmed 1")
        (logged,) = [dict(e.data) for e in site.store.events(types=["zone.disarmed"])]
        assert logged == {
            **logged,
            "zone": "east-beam",
            "by": OFFICER,
            "actor": WALL_USER,
            "credential": "pin",
            "badge": "0417",
            "reason": "detector cleaning",
        }

        # A trip reported by the bridge: the zone moves to the top, the list is not read again.
        loads = view.board._load
        tripped = report("west-fence", "West fence", "perimeter", "alarm", trip="t2")
        bridge.publish(site.topics.zone_state("bridge1", "west-fence"), tripped, retain=True)
        driver.until(lambda: "tripped 2" in view.counts_text, what="the second trip counted")
        assert [r.name_text.split("\n")[0] for r in view.rows[:2]] == ["North fence", "West fence"]
        assert view.rows[1].state_text == "Tripped" and view.board._load == loads
        # The core raised the trip's alarm (critical): the wall's urgent pop-up, closed by touch.
        driver.until(lambda: root.urgent_view.popup is not None, what="the urgent pop-up")
        assert "West fence" in root.urgent_view.popup.line
        driver.tap(root.urgent_view.popup.ids.close)
        driver.until(lambda: root.urgent_view.popup is None, what="the pop-up closed")

        # The 24-hour zone asked anyway: the core's refusal, in the officer's language.
        popup = view.ask(("bridge1", "gate-panic"), False)
        driver.until(lambda: popup.ids.cred.focus, what="the dialog open and laid out")
        for digit in "482916":
            driver.tap(next(k for k in popup.ids.pad.children if k.text == digit))
        assert popup.ids.cred.text == "482916"
        driver.tap(popup.ids.ok)
        driver.until(lambda: "armed day and night" in popup.problem, what="the refusal")
        assert popup.problem == "Zone gate-panic is armed day and night: it cannot be disarmed"
        assert site.store.events(types=["zone.disarmed"])[-1].data["zone"] == "east-beam"
        popup.dismiss()

        # Back to the overview: the zones view listens to nothing while hidden.
        driver.tap(root.ids.view_overview)
        assert root.view == "overview", root.view
        assert not view.board.listening
