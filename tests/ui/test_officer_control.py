"""The wall's lockdown and remote-open viewmodel without a display: nothing is sent until the
confirmation is complete (reason, override in lockdown, the officer's card or PIN), an override
is sent only in lockdown and only when switched on, the core's refusals of a card or PIN and its
errors are said in the officer's language, and the PIN itself is never kept."""

from __future__ import annotations

from typing import Any

from compound.domain.model import InvalidInput
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.officer_control import WallControl, open_problem

PIN = "482916"


def test_open_problem_names_what_is_missing() -> None:
    assert open_problem("pin", PIN, " ", False, False) == "control.need_reason"
    assert open_problem("pin", PIN, "why", True, False) == "control.need_override"
    assert open_problem("pin", "", "why", True, True) == "ack.need_pin"
    assert open_problem("card", "", "why", False, False) == "ack.need_card"
    assert open_problem("pin", "12ab", "why", False, False) == "ack.bad_pin"
    assert open_problem("face", "1", "why", False, False) == "ack.need_credential"
    assert open_problem("pin", PIN, "why", True, True) is None
    assert open_problem("card", "12345678", "why", False, False) is None


def officer(p: dict[str, Any]) -> dict[str, Any] | None:
    """The core's answer to a card or PIN: the officer's label, or None (then a refusal)."""
    if p.get("value") in (PIN, "12345678"):
        return None
    if p.get("value") == "999999":
        return {"refused": "locked", "retry_in": 120}
    return {"refused": "unknown", "tries_left": 3}


def test_override_only_in_lockdown_and_refusals_translated() -> None:
    asked: list[dict[str, Any]] = []

    def unlock(p: dict[str, Any]) -> dict[str, Any]:
        asked.append(p)
        if (refused := officer(p)) is not None:
            return refused
        if p["door"] == "gate" and not p.get("override"):
            raise InvalidInput("the site is in lockdown: door gate was not opened ...")
        return {"command_id": "c", "expires_at": 0, "override": bool(p.get("override")), "by": "王"}

    def lockdown(p: dict[str, Any]) -> dict[str, Any]:
        return officer(p) or {"lockdown": p["on"], "by": "王 (0417)"}

    gw = LocalGateway({"door.unlock_officer": unlock, "lockdown.set_officer": lockdown})
    control = WallControl(gw, Strings("zh"), lambda: None)
    said: list[str | None] = []
    assert control.open_door("gate", "大门", "pin", PIN, "快递", done=said.append) is None
    assert asked[-1] == {"door": "gate", "kind": "pin", "value": PIN, "reason": "快递"}
    # the core was in lockdown although the wall had not heard it yet
    assert said[-1] == control.note == "封控中，大门 未开启，未发送任何指令" and not control.note_ok
    assert PIN not in str(control.sent), "the wall keeps no PIN"
    # a PIN of nobody on duty: said in the dialog, nothing else changes
    assert control.set_lockdown(True, "pin", "111111", said.append) is None
    assert said[-1] == "身份未通过核验：此卡或密码不属于值班民警，未做任何更改。（还可尝试 3 次）"
    assert control.lockdown is None and control.note == "封控中，大门 未开启，未发送任何指令"
    assert control.set_lockdown(True, "pin", "999999", said.append) is None
    assert said[-1] == "错误次数过多，请 120 秒后再试，或改用另一种方式"
    assert control.set_lockdown(True, "pin", PIN, said.append) is None
    assert said[-1] is None and control.lockdown is True and control.note == "王 (0417) 已启动封控"
    n = len(asked)
    assert control.open_door("gate", "大门", "pin", PIN, "救护车") == "control.need_override"
    assert control.open_door("gate", "大门", "pin", "", "救护车", True) == "ack.need_pin"
    assert len(asked) == n, "nothing is sent while the confirmation is incomplete"
    assert control.open_door("gate", "大门", "card", "12345678", "救护车", override=True) is None
    assert asked[-1]["override"] is True and control.note.startswith("封控中越权开门")
    assert control.set_lockdown(False, "card", "", said.append) == "ack.need_card"
    assert control.set_lockdown(False, "card", "12345678") is None and control.lockdown is False
    assert control.open_door("gate", "大门", "pin", PIN, "快递", override=True) is None
    assert "override" not in asked[-1], "no override is sent outside a lockdown"


def test_a_core_error_is_translated_and_a_second_tap_waits_for_the_first() -> None:
    def unlock(p: dict[str, Any]) -> dict[str, Any]:
        raise InvalidInput(f"unknown door {p['door']!r}; see `compound door list`")

    gw = LocalGateway({"door.unlock_officer": unlock})
    gw.hold_replies = True
    control = WallControl(gw, Strings("en"), lambda: None)
    said: list[str | None] = []
    assert control.open_door("nope", "Nowhere", "pin", PIN, "x", done=said.append) is None
    assert control.open_door("nope", "Nowhere", "pin", PIN, "x") == "ack.waiting"
    assert len(gw.requests) == 1
    gw.release()
    assert said == ["There is no door “nope”"]
    assert control.note == "Nowhere not opened: There is no door “nope”" and not control.busy


def test_the_doors_answer_is_shown_whichever_arrives_first() -> None:
    """A door may answer its command before the core's reply reaches the wall (two threads, two
    topics): the answer is kept and shown once the reply names the command."""
    gw: LocalGateway

    def unlock(p: dict[str, Any]) -> dict[str, Any]:
        cid = f"c-{p['reason']}"
        if p["reason"] == "early":  # the door answers before the core's reply is handled
            gw.deliver("door/gate/ack", {"command_id": cid, "ok": True})
        return {"command_id": cid, "expires_at": 0, "override": False, "by": "Wang (0417)"}

    gw = LocalGateway({"door.unlock_officer": unlock})
    control = WallControl(gw, Strings("en"), lambda: None)
    control.open_door("gate", "Main gate", "pin", PIN, "early")
    assert control.note == "Door opened: Main gate"
    control.open_door("gate", "Main gate", "pin", PIN, "late")
    assert control.note == "Open sent to Main gate (Wang (0417))"
    gw.deliver("door/gate/ack", {"command_id": "c-other", "ok": True})  # another's command
    assert control.note == "Open sent to Main gate (Wang (0417))"
    gw.deliver("door/gate/ack", {"command_id": "c-late", "reason": "fire"})
    assert control.note == "Main gate refused to open: fire" and not control.note_ok
