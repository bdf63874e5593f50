"""Each role in a real Kivy window under Xvfb, driven by touches, against the real core on a
real Mosquitto."""

from __future__ import annotations

import pytest

from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, encode
from compound.store import officers
from tests.ui.conftest import WALL_SIZE, Driver, Site, door_panel, gateway, not_blank, on_screen

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_officer_sees_forced_door_and_acknowledges_it_by_touch(site: Site, driver: Driver) -> None:
    """The officer's core job: a forced door shows up on the wall and is acknowledged there."""
    from ui.i18n import Strings

    officers.add_officer(site.store, "Li Wei", "0412", "12345678", None, by="station chief")
    with on_screen(driver, gateway(site, "officer"), "officer", WALL_SIZE, Strings("en")) as built:
        driver.until(lambda: "b2-e1" in built.vm.doors, what="doors loaded")
        dev = site.bus("test-door")
        dev.publish(
            site.topics.door_event("b2-e1"),
            encode(DoorEvent("b2-e1", "forced_open", SystemClock().now())),
        )
        alarms = built.root.ids.alarms
        driver.until(
            lambda: any(hasattr(r, "alarm_id") for r in alarms.children),
            what="alarm row on the wall",
        )
        # It pops up over the wall (an intrusion); closed, it stays in the queue.
        urgent = built.root.urgent_view
        driver.until(lambda: urgent.popup is not None, what="the urgent pop-up")
        driver.tap(urgent.popup.ids.close)
        driver.until(lambda: urgent.popup is None, what="the pop-up closed")
        tile = built.root.tile_views()["b2-e1"]
        assert "Building 2" in tile.name
        assert tile.state_text == "forced"
        not_blank(driver.shot("officer_alarm.png"))
        row = next(r for r in alarms.children if hasattr(r, "alarm_id"))
        ack_button = row.children[0]
        driver.tap(ack_button)
        popup = built.root.alarm_queue.popup
        driver.until(lambda: popup is not None and popup.ids.ok.width >= 48, what="ack popup")
        driver.tap(popup.ids.ok)  # nothing typed: refused, the popup says what is missing
        assert popup.problem == "Write or pick a remark first"
        assert site.store.alarms(open_only=True)
        driver.type(popup.ids.note, "checked on site, door closed")
        driver.type(popup.ids.cred, "12345678")  # the duty officer's card
        driver.tap(popup.ids.ok)
        driver.until(lambda: not site.store.alarms(open_only=True), what="alarm acknowledged")
        driver.until(
            lambda: not any(hasattr(r, "alarm_id") for r in alarms.children), what="alarm row gone"
        )
        acked = site.store.alarms()[0]
        assert acked.acknowledged_by == "Li Wei (0412)"
        assert acked.note == "checked on site, door closed"
        assert tile.state_text != "forced"
        not_blank(driver.shot("officer_acked.png"))


def test_door_panel_pin_by_touch_welcomes_resident_and_locks_after_wrong_tries(
    site: Site, driver: Driver
) -> None:
    """A resident types a PIN on the keypad; the core grants it. Wrong PINs get the core's count
    of tries left, then its lockout with the seconds left; the panel keeps no count of its own:
    a PIN typed while locked goes to the core, which refuses it unread, and the right PIN is
    still let in."""
    from ui.app import build_role
    from ui.i18n import Strings

    gw = gateway(site, "door")
    try:
        built = build_role("door", gw, Strings("zh"), SystemClock(), door="b3-e2")
        root = built.root
        driver.mount(root, (1024, 600))
        built.vm.load()
        driver.until(lambda: built.vm.door_name != "b3-e2", what="door name")
        keys = {b.text: b for b in root.ids.keypad.children}

        def enter(pin: str) -> None:
            for d in pin:
                driver.tap(keys[d])
            driver.tap(root.ids.ok)

        driver.tap(root.ids.mode_pin)
        assert built.vm.mode == "pin"
        for d in "258369":
            driver.tap(keys[d])
        assert root.entry_text == "●●●●●●"
        driver.tap(root.ids.ok)
        driver.until(lambda: root.status_text == "欢迎回家, 张*", what="welcome")
        not_blank(driver.shot("door_welcome.png"))
        granted = site.store.events(types=["access.granted"])
        assert granted and granted[-1].data["kind"] == "pin"
        for left in (4, 3, 2, 1):
            enter("111111")
            want = f"密码错误，还可尝试 {left} 次"
            driver.until(lambda want=want: root.status_text == want, what=want)
        enter("111111")
        driver.until(lambda: root.status_text.startswith("密码输入已锁定"), what="the lockout")
        assert 25 < built.vm.pin_locked_for() <= 30  # the core's 30 s, counting down
        denied = len(site.store.events(types=["access.denied"]))
        enter("111111")
        driver.until(
            lambda: len(site.store.events(types=["access.denied"])) == denied + 1,
            what="the core refusing the locked PIN",
        )
        refused = site.store.events(types=["access.denied"])[-1]
        assert refused.data["reason"] == "too many failed attempts"
        driver.until(lambda: "锁定" in root.status_text, what="lockout shown again")
        assert len(site.store.events(types=["access.granted"])) == len(granted)
        driver.tap(root.ids.lang)
        driver.pump(0.1)
        assert root.ids.emergency.text == "Emergency"
        assert "PIN locked" in root.status_text  # the last message, re-rendered in English
        not_blank(driver.shot("door_locked.png"))
        enter("258369")  # the lockout holds for the wrong PIN, not for the keypad
        driver.until(lambda: root.status_text == "Welcome home, 张*", what="welcome again")
        assert built.vm.pin_locked_for() == 0
        assert len(site.store.events(types=["access.granted"])) == len(granted) + 1
    finally:
        gw.stop()


def test_door_panel_dials_a_room_by_touch_and_the_indoor_station_opens(
    site: Site, driver: Driver
) -> None:
    """A visitor dials 3-2-1501 on the keypad; the flat's indoor station (the MQTT simulator)
    rings, answers and unlocks; the panel says the door opened, and the core unlocked this door
    and no other. The panel signalled only on its own door's call topic, never by the call API;
    a flat this door does not serve gets the core's refusal on screen."""
    from devkit.simulators import VirtualIndoorStation

    site.core_bus.request("station.add", {"station": "in-1501", "unit": "3-2-1501"})
    station = VirtualIndoorStation(site.bus("test-station"), "in-1501", "3-2-1501", 0.3)
    station.start()
    commands: list[str] = []
    watch = site.bus("test-doors")
    watch.subscribe(
        site.topics.all("door/+/cmd"), lambda m: commands.append(m.topic.split("/")[-2])
    )
    signals: list[str] = []
    watch.subscribe(site.topics.all("intercom/+/call"), lambda m: signals.append(m.topic))
    api_calls: list[str] = []
    watch.subscribe(site.topics.all("api/#"), lambda m: api_calls.append(m.topic))
    with door_panel(driver, site, "en") as (built, keys):
        root = built.root
        for k in "3-2-1501":
            driver.tap(keys[k])
        assert root.entry_text == "3-2-1501"
        driver.tap(root.ids.ok)
        driver.until(lambda: "Ringing" in root.status_text, what="ringing")
        driver.until(lambda: root.status_text == "Door opened, please come in", what="opened")
        not_blank(driver.shot("door_opened.png"))
        assert station.rings and station.rings[0].get("call_id")
        driver.until(lambda: bool(commands) and bool(signals), what="unlock and call signal")
        assert set(commands) == {"b3-e2"}
        assert signals == [site.topics.intercom_call("b3-e2")]
        methods = [t.rsplit("/", 1)[-1] for t in api_calls]  # api/<user>/<method>
        assert methods and not [m for m in methods if m.startswith(("call.", "emergency."))]
        for k in "1-1-0101":
            driver.tap(keys[k])
        driver.tap(root.ids.ok)
        driver.until(lambda: "Call failed" in root.status_text, what="refused dial")
        # The core's refusal, in the screen's language (its English reason is for the log).
        assert root.status_text == "Call failed: This door cannot call that room"
        assert len(station.rings) == 1
