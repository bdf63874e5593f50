"""Viewmodels without a display: the behaviour of each screen, against an in-process gateway."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.domain.ratelimit import AttemptLimiter, Policy
from compound.protocol.messages import AccessRequest, AccessResult, canonical, encode
from tests.ui.fake_doors import door_api
from ui.gateway import LocalGateway
from ui.i18n import STRINGS, Strings
from ui.viewmodels.door import RESULT_SHOW_S, DoorPanelVM
from ui.viewmodels.door_call import CALL_ANSWER_S
from ui.viewmodels.door_parse import parse_face_box
from ui.viewmodels.manager import ManagerVM
from ui.viewmodels.officer import OfficerVM, hour_bins

# The core's default attempt limits: five failures of one PIN lock it for 30 s.
LIMITS = Policy(max_failures=5, lockout_s=30.0)


def answer_pins(gw: LocalGateway, good: str, name: str = "张*") -> None:
    """Make the gateway answer the panel's PIN requests like the core would, with its attempt
    limiter: a wrong PIN's result says how many tries are left, a lockout's how many seconds it
    still runs, and a PIN refused unread while locked is not counted."""
    original = gw.publish
    limiter = AttemptLimiter(LIMITS)

    def publish(topic: str, payload: Any) -> None:
        original(topic, payload)
        req = AccessRequest.decode(payload)
        door, now = req.door_id, req.at
        refused = limiter.check(door, "pin", req.value, now) is not None
        ok = not refused and req.value == good
        if not refused:
            limiter.record(door, "pin", req.value, ok, now)
        lock = None if ok else limiter.lockout(door, "pin", req.value, now)
        res = AccessResult(
            req.id,
            door,
            ok,
            "granted" if ok else "too many failed attempts" if refused else "unknown credential",
            now,
            person_id=1 if ok else None,
            display_name=name if ok else None,
            locked_for_s=math.ceil(lock.until - now) if lock else None,
            tries_left=None if ok else limiter.tries_left(door, "pin", req.value, now),
        )
        gw.deliver(f"access/{req.door_id}/result", encode(res))

    gw.publish = publish  # type: ignore[method-assign,assignment]


def type_keys(vm: DoorPanelVM, keys: str) -> None:
    for k in keys:
        vm.key(k)


def test_every_string_has_both_languages() -> None:
    """A missing translation would show a raw key or an empty label on a kiosk."""
    for key, (zh, en) in STRINGS.items():
        assert zh and en, key
    t = Strings("zh")
    assert t("door.welcome", name="张*") == "欢迎回家, 张*"
    t.toggle()
    assert t("door.welcome", name="张*") == "Welcome home, 张*"


def test_pin_granted_welcomes_by_display_name(clock: ManualClock) -> None:
    """The resident sees the masked name the core sent, and the PIN itself went to the core."""
    gw = LocalGateway()
    answer_pins(gw, "258369")
    vm = DoorPanelVM(gw, Strings("zh"), clock, "b3-e2")
    vm.set_mode("pin")
    type_keys(vm, "258369")
    assert vm.entry_display == "●●●●●●"
    vm.ok()
    assert vm.status_line == "欢迎回家, 张*"
    topic, payload = gw.published[0]
    assert topic == "access/b3-e2/request/panel"
    assert json.loads(payload)["kind"] == "pin"


def test_pin_lockout_is_the_cores_and_counts_down_until_the_period_ends(
    clock: ManualClock,
) -> None:
    """Guessing PINs must be slow, and the core alone says how slow: the panel shows the tries
    left that each answer carries, then the lockout and its remaining seconds, counted down.
    A PIN typed while locked still goes to the core, whose refusal says how long is left; after
    the period the PIN is decided again."""
    gw = LocalGateway()
    answer_pins(gw, "258369")
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    vm.set_mode("pin")
    for left in range(LIMITS.max_failures - 1, 0, -1):
        type_keys(vm, "111111")
        vm.ok()
        assert vm.status_line == f"Wrong PIN, {left} tries left"
        assert vm.message_kind == "bad" and vm.pin_locked_for() == 0
    type_keys(vm, "111111")
    vm.ok()
    assert vm.status_line == "PIN locked, try again in 30 s"
    assert vm.pin_locked_for() == 30 and vm.hint == "PIN locked, try again in 30 s"
    clock.advance(10)
    vm.tick()
    assert vm.hint == "PIN locked, try again in 20 s"
    sent = len(gw.published)
    type_keys(vm, "111111")
    vm.ok()
    assert len(gw.published) == sent + 1, "the panel decided instead of the core"
    assert vm.status_line == "PIN locked, try again in 20 s"
    clock.advance(5)
    vm.tick()
    assert vm.status_line == "PIN locked, try again in 15 s"  # the message counts down too
    clock.advance(15)
    vm.tick()
    assert vm.pin_locked_for() == 0 and vm.hint == "Enter your door PIN"
    type_keys(vm, "111111")
    vm.ok()
    assert vm.status_line == "Wrong PIN, 4 tries left"
    type_keys(vm, "258369")
    vm.ok()
    assert vm.status_line == "Welcome home, 张*"


def test_the_cores_answer_to_the_latest_pin_replaces_an_earlier_lockout(
    clock: ManualClock,
) -> None:
    """A lockout holds for one PIN (or for the door), not for the keypad: while the core has
    one PIN locked, the right one is still let in, and the panel stops showing the lock."""
    gw = LocalGateway()
    answer_pins(gw, "258369")
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    vm.set_mode("pin")
    for _ in range(LIMITS.max_failures):
        type_keys(vm, "111111")
        vm.ok()
    assert vm.pin_locked_for() == 30
    type_keys(vm, "258369")
    vm.ok()
    assert vm.status_line == "Welcome home, 张*"
    assert vm.pin_locked_for() == 0 and vm.hint == "Enter your door PIN"


def test_results_without_the_limiters_fields_still_read_plainly(clock: ManualClock) -> None:
    """A core without attempt limits sends no tries left and no seconds: the panel says the
    PIN was wrong, or the core's reason, and never makes up a count."""
    gw = LocalGateway()
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    vm.set_mode("pin")
    for reason, shown in (
        ("unknown credential", "Wrong PIN"),
        ("too many failed attempts", "Access refused: too many failed attempts"),
        ("outside schedule", "Access refused: outside the allowed hours"),
        ("a reason no screen knows", "Access refused: other reason"),
    ):
        type_keys(vm, "111111")
        vm.ok()
        req = AccessRequest.decode(gw.published[-1][1])
        result = AccessResult(req.id, "b3-e2", False, reason, req.at)
        gw.deliver("access/b3-e2/result", encode(result))
        assert vm.status_line == shown
        assert vm.pin_locked_for() == 0


def dial_signals(gw: LocalGateway) -> list[dict[str, Any]]:
    return [json.loads(canonical(p)) for t, p in gw.published if t == "intercom/b3-e2/call"]


def test_dial_signals_on_own_door_topic_after_listening_and_follows_its_states(
    clock: ManualClock,
) -> None:
    """The panel dials only on its own door's call topic (the one the broker lets it write),
    listens on the call's state before the dial goes out, and shows only this call's states."""
    gw = LocalGateway()
    original = gw.publish
    listening_at_publish: list[bool] = []

    def publish(topic: str, payload: Any) -> None:
        call_id = payload["call_id"]
        listening_at_publish.append(gw.subscribed(f"intercom/b3-e2/call/{call_id}/state"))
        original(topic, payload)

    gw.publish = publish  # type: ignore[method-assign,assignment]
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    type_keys(vm, "3-2-1501")
    vm.ok()
    assert gw.requests == []  # no call API: a panel may not use it
    (sig,) = dial_signals(gw)
    assert sig == {"action": "dial", "call_id": vm.call_id, "unit": "3-2-1501", "at": clock.now()}
    assert "door" not in sig  # the core takes the door from the topic
    assert listening_at_publish == [True]
    call_id = str(vm.call_id)
    assert vm.status_line == "Calling 3-2-1501…"
    gw.deliver(f"intercom/b3-e2/call/{call_id}/state", {"state": "ringing"})
    assert vm.status_line == "Ringing 3-2-1501…"
    gw.deliver("intercom/b3-e2/call/other/state", {"state": "busy"})
    assert vm.status_line == "Ringing 3-2-1501…"
    gw.deliver(f"intercom/b3-e2/call/{call_id}/state", {"state": "answered"})
    assert vm.status_line == "3-2-1501 answered"
    gw.deliver(f"intercom/b3-e2/call/{call_id}/state", {"state": "door_opened"})
    assert vm.status_line == "Door opened, please come in"
    assert vm.call_id is None
    assert not gw.subscribed(f"intercom/b3-e2/call/{call_id}/state")  # stops listening when done


def test_hangup_and_emergency_signal_on_own_door_topic(clock: ManualClock) -> None:
    """Hanging up names the panel's own call; the emergency button is a signal on the same
    topic, confirmed when the officer's station rings (as a wait, not as a green "done")."""
    gw = LocalGateway()
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    type_keys(vm, "3-2-1501")
    vm.ok()
    call_id = str(vm.call_id)
    gw.deliver(f"intercom/b3-e2/call/{call_id}/state", {"state": "ringing"})
    vm.hangup()
    assert dial_signals(gw)[-1] == {"action": "hangup", "call_id": call_id, "at": clock.now()}
    assert vm.status_line == "Call ended" and vm.call_id is None
    vm.emergency()
    sig = dial_signals(gw)[-1]
    assert sig["action"] == "emergency" and set(sig) == {"action", "call_id", "at"}
    gw.deliver(f"intercom/b3-e2/call/{sig['call_id']}/state", {"state": "ringing"})
    assert vm.status_line == Strings("en")("door.emergency_sent") and vm.status_kind == "info"
    assert gw.requests == []


def test_refused_dial_shows_the_cores_reason(clock: ManualClock) -> None:
    """The core answers a refused dial on the call's state; the visitor reads why, in the
    screen's language, from the refusal's code (never the core's English)."""
    gw = LocalGateway()
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    type_keys(vm, "4-1-0101")
    vm.ok()
    call_id = str(vm.call_id)
    reason = "4-1-0101 cannot be called from door b3-e2"
    body = {"state": "failed", "reason": reason, "code": "not_served"}
    gw.deliver(f"intercom/b3-e2/call/{call_id}/state", body)
    assert vm.status_line == "Call failed: This door cannot call that room"
    assert reason not in vm.status_line
    assert vm.call_id is None and vm.call_state == ""


def test_dial_refuses_a_malformed_room_and_gives_up_on_a_silent_core(clock: ManualClock) -> None:
    """A typo gets the model's message and sends nothing; a dial the core never answers is
    given up (and hung up, in case it rang late) instead of "Calling…" forever; with the bus
    down nothing is sent at all."""
    gw = LocalGateway()
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    type_keys(vm, "3-2")
    vm.ok()
    assert "building-entrance-room" in vm.status_line
    assert gw.published == []
    type_keys(vm, "3-2-1501")
    vm.ok()
    call_id = str(vm.call_id)
    clock.advance(CALL_ANSWER_S - 0.5)
    vm.tick()
    assert vm.call_state == "dialing"
    clock.advance(1.0)
    vm.tick()
    assert vm.call_state == "" and "did not answer" in vm.status_line
    assert dial_signals(gw)[-1]["action"] == "hangup"
    assert dial_signals(gw)[-1]["call_id"] == call_id
    gw.set_connected(False)
    sent = len(gw.published)
    type_keys(vm, "3-2-1501")
    vm.ok()
    assert len(gw.published) == sent
    assert vm.call_state == "" and "did not answer" in vm.status_line


def test_banner_tracks_bus_core_and_devices_and_keeps_state(clock: ManualClock) -> None:
    """Offline parts are announced; the last known notices stay on screen meanwhile."""
    gw = LocalGateway()
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    gw.deliver("notice", {"notices": [{"id": 1, "text": "周三 9-12 点停水"}]}, retained=True)
    assert vm.banner == ""
    gw.deliver("device/bridge-1/availability", b"offline", retained=True)
    # Residents read what to do, not device names; the technical line stays for the staff.
    assert vm.banner == "Service unavailable, please use your card"
    assert vm.availability.banner == "Device offline: bridge-1"
    gw.deliver("device/cli-77/availability", b"offline", retained=True)
    assert "cli-77" not in vm.availability.banner
    gw.deliver("device/core/availability", b"offline", retained=True)
    assert vm.availability.banner.startswith("Core offline")
    assert vm.banner == "Service unavailable, please use your card"
    gw.set_connected(False)
    assert vm.availability.banner.startswith("Bus disconnected")
    assert vm.notices == [{"text": "周三 9-12 点停水"}]
    gw.set_connected(True)
    gw.deliver("device/core/availability", b"online")
    gw.deliver("device/bridge-1/availability", b"online")
    assert vm.banner == ""


def test_face_box_in_pixels_becomes_fractions() -> None:
    """The face service reports pixels; the panel draws on whatever size the preview has."""
    box = parse_face_box({"box": [60, 400, 300, 160], "width": 640, "height": 480, "person_id": 3})
    assert box is not None and box.known
    assert (box.x, box.y, box.w, box.h) == pytest.approx((0.25, 0.125, 0.375, 0.5))
    assert parse_face_box({"box": "nonsense"}) is None


def test_hour_bins_put_entries_in_the_right_hour() -> None:
    """The chart's last bar is the current hour; older than 24 h is left out."""
    now = 1_000_000 * 3600 + 1800.0
    bins = hour_bins([now, now - 10, now - 3600, now - 23 * 3600, now - 25 * 3600], now)
    assert bins[-1] == 2 and bins[-2] == 1 and bins[0] == 1 and sum(bins) == 4


def test_officer_shows_forced_until_acknowledged(clock: ManualClock) -> None:
    """A forced door stands out on the grid until the alarm is acknowledged."""
    alarms = [
        {
            "id": 7,
            "raised_at": 1.0,
            "kind": "forced_open",
            "severity": "high",
            "door_id": "gate",
            "message": "gate: door forced open",
        }
    ]

    def ack(p: dict[str, Any]) -> dict[str, Any]:
        if p["ids"] != [7]:
            raise InvalidInput("no such alarm")
        alarms.clear()
        return {"by": "Li Wei (0412)", "acknowledged": [7], "skipped": []}

    def alarm_page(p: dict[str, Any]) -> dict[str, Any]:
        doors = {a["door_id"]: a["kind"] for a in alarms}
        return {"items": list(alarms), "total": len(alarms), "page": 1, "size": 20} | {
            "counts": {"forced_open": len(alarms)} if alarms else {},
            "doors": doors,
        }

    gw = LocalGateway(
        {
            **door_api([{"id": "gate", "name": "Main gate", "state": "locked"}]),
            "alarm.page": alarm_page,
            "alarm.ack_officer": ack,
        }
    )
    vm = OfficerVM(gw, Strings("en"), clock)
    vm.load()
    assert vm.doors["gate"].shown_state == "forced"
    assert vm.lists["elderly"] is None, "a missing community service shows as not available"
    vm.acknowledge(7, "card", "12345678", "checked")
    assert vm.alarms == [] and vm.doors["gate"].shown_state == "locked"
    gw.deliver("door/gate/state", {"state": "offline"}, retained=True)
    assert vm.doors["gate"].shown_state == "offline"


def test_officer_counts_live_entries(clock: ManualClock) -> None:
    """Each granted passage streamed by the core lands in the live list and the chart."""
    gw = LocalGateway({"person.names": lambda p: {"1": "张伟"} if p["ids"] == [1] else {}})
    vm = OfficerVM(gw, Strings("en"), clock)
    vm.load()
    gw.deliver(
        "events/access.granted",
        {
            "seq": 1,
            "at": clock.now(),
            "type": "access.granted",
            "door_id": "gate",
            "person_id": 1,
            "data": {"kind": "card"},
        },
    )
    assert vm.hourly[-1] == 1
    assert "张伟" in vm.passage_line(vm.passages[-1])
    assert "person.list" not in {m for m, _ in gw.requests}, "the wall never lists everyone"
    assert [m for m, _ in gw.requests].count("person.names") == 1


def test_csv_import_sends_the_sheet_whole_and_shows_each_problem(clock: ManualClock) -> None:
    """The console sends the sheet's text to the core's people.import, in parts when it is
    larger than one request (the last one marked), and shows every problem the core names with
    its line and column; a refused sheet is said to have imported nothing."""
    got: list[dict[str, Any]] = []

    def people_import(p: dict[str, Any]) -> dict[str, Any]:
        got.append(p)
        if not p.get("last", "sheet" not in p):
            return {"ok": True, "received": p["part"] + 1}
        text = "".join(x["csv"] for x in got)
        if "boss" in text:
            return {
                "ok": False,
                "rows": text.count("\n") - 1,
                "errors": [
                    {"line": 3, "column": "role", "message": "unknown role 'boss'"},
                    {"line": 9, "column": "", "message": "more fields than the header has"},
                ],
            }
        return {"ok": True, "rows": text.count("\n") - 1}

    gw = LocalGateway(
        {
            "people.import": people_import,
            "person.list": lambda p: {"items": [], "total": 0, "page": 1},
        }
    )
    vm = ManagerVM(gw, Strings("en"))
    big = "name,unit,role\n" + "".join(f"住户{i},1-1-{i},owner\n" for i in range(1000))
    vm.import_csv(big.replace("住户1,1-1-1,owner", "住户1,1-1-1,boss"))
    assert len(got) > 2 and all("sheet" in p for p in got)
    assert [p["part"] for p in got] == list(range(len(got)))
    assert [p["last"] for p in got] == [False] * (len(got) - 1) + [True]
    assert len({p["sheet"] for p in got}) == 1
    assert vm.job is not None and vm.job.finished and not vm.job.ok
    assert vm.job.errors == [
        (3, "role", "unknown role 'boss'"),
        (9, "", "more fields than the header has"),
    ]
    assert vm.note == "2 problem(s) in 1000 rows; nothing was imported" and not vm.note_ok
    got.clear()
    vm.import_csv("name,unit,role\n张三,1-1-101,owner\n")
    assert len(got) == 1 and "sheet" not in got[0] and got[0]["by"] == "manager console"
    assert vm.job.ok and vm.note == "All 1 people imported" and vm.note_ok


def test_enrolment_needs_consent_first(clock: ManualClock) -> None:
    """No face leaves the console for the face service before consent is recorded, and the
    console says how many photos the service kept: "enrolled" never shows when none was."""
    replies = [
        {"accepted": 0, "images": [{"accepted": False, "reason": "no face found"}]},
        {"accepted": 1, "images": [{"accepted": True, "reason": "ok"}]},
    ]
    gw = LocalGateway({"face.enroll": lambda p: replies.pop(0)})
    vm = ManagerVM(gw, Strings("en"))
    vm.capture(b"\xff\xd8jpeg")  # consent first: not even captured
    vm.enrol("1")
    assert gw.requests == [] and "consent" in vm.note and vm.captured == []
    vm.set_consent(True)
    vm.capture(b"\xff\xd8jpeg")
    vm.enrol("1")
    assert gw.requests[-1][0] == "face.enroll"
    assert vm.note == "No photo was usable, nothing enrolled: no face found" and not vm.note_ok
    assert vm.captured and vm.consent  # kept, so the manager can capture a better photo
    vm.enrol("1")
    assert vm.note == "Face enrolled: 1 of 1 photos accepted" and vm.note_ok
    assert vm.captured == [] and not vm.consent


def test_language_switch_rerenders_the_last_message(clock: ManualClock) -> None:
    """A visitor who switches to English after a wrong PIN must read the answer in English,
    not keep the Chinese text until the next event."""
    gw = LocalGateway()
    answer_pins(gw, "258369")
    t = Strings("zh")
    vm = DoorPanelVM(gw, t, clock, "b3-e2")
    vm.set_mode("pin")
    type_keys(vm, "111111")
    vm.ok()
    assert vm.status_line == "密码错误，还可尝试 4 次"
    t.toggle()
    assert vm.status_line == "Wrong PIN, 4 tries left"
    type_keys(vm, "258369")
    vm.ok()
    assert vm.status_line == "Welcome home, 张*"
    t.toggle()
    assert vm.status_line == "欢迎回家, 张*"


def test_face_service_verdict_is_shown_but_not_over_a_welcome(clock: ManualClock) -> None:
    """The face service's "not recognised" tells a stranger what to do; it must not replace the
    welcome a resident has just been given."""
    gw = LocalGateway()
    answer_pins(gw, "258369")
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    result = {
        "status": "not recognised",
        "faces": [{"box": {"top": 10, "right": 90, "bottom": 90, "left": 10}, "person_id": None}],
    }
    gw.deliver("face/b3-e2/result", result)
    assert vm.status_line == "Not recognised, please use card, PIN or call"
    assert vm.face is None  # pixel box without the frame size: it is drawn in the JPEG
    vm.set_mode("pin")
    type_keys(vm, "258369")
    vm.ok()
    gw.deliver("face/b3-e2/result", result)
    assert vm.status_line == "Welcome home, 张*"
    clock.advance(RESULT_SHOW_S)
    gw.deliver("face/b3-e2/result", result)
    assert vm.status_line == "Not recognised, please use card, PIN or call"


def test_face_service_verdict_does_not_cover_a_wrong_pin_or_a_lockout(clock: ManualClock) -> None:
    """A resident typing a PIN must read how many tries are left, even while the camera keeps
    saying it does not know the face in front of it."""
    gw = LocalGateway()
    answer_pins(gw, "258369")
    vm = DoorPanelVM(gw, Strings("en"), clock, "b3-e2")
    result = {"status": "not recognised", "faces": []}
    vm.set_mode("pin")
    type_keys(vm, "111111")
    vm.ok()
    gw.deliver("face/b3-e2/result", result)
    assert vm.status_line == "Wrong PIN, 4 tries left"
    clock.advance(RESULT_SHOW_S - 0.5)
    gw.deliver("face/b3-e2/result", result)
    assert vm.status_line == "Wrong PIN, 4 tries left"
    clock.advance(0.5)
    gw.deliver("face/b3-e2/result", result)
    assert vm.status_line == "Not recognised, please use card, PIN or call"
    for _ in range(LIMITS.max_failures - 1):
        type_keys(vm, "111111")
        vm.ok()
    gw.deliver("face/b3-e2/result", result)
    assert vm.status_line == "PIN locked, try again in 30 s"
    clock.advance(RESULT_SHOW_S - 1)
    gw.deliver("face/b3-e2/result", result)
    assert vm.status_line == f"PIN locked, try again in {30 - int(RESULT_SHOW_S) + 1} s"


def test_alarm_lines_name_the_kind_in_chinese_and_keep_the_detail(clock: ManualClock) -> None:
    """The officer reads Chinese; the rule's own figures must still be on the line."""
    strings = Strings("zh")
    vm = OfficerVM(LocalGateway({}), strings, clock)
    alarm = {
        "raised_at": clock.now(),
        "severity": "high",
        "kind": "forced_open",
        "message": "b2-e1: door forced open",
    }
    line = vm.alarm_line(alarm)
    assert "[高]" in line and "强行开门" in line and "b2-e1: door forced open" in line
    strings.toggle()
    assert "[high]" in vm.alarm_line(alarm) and "强行开门" not in vm.alarm_line(alarm)
    unknown = {**alarm, "kind": "something_new", "message": "detail"}
    assert vm.alarm_line(unknown).endswith("detail")
