"""The wall's lockdown and remote-open viewmodel without a display: nothing is sent until the
confirmation is complete, an override is sent only in lockdown and only when switched on, and
the core's refusals are said in the officer's language."""

from __future__ import annotations

from typing import Any

from compound.domain.model import InvalidInput
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.officer_control import WallControl, open_problem


def test_open_problem_names_what_is_missing() -> None:
    assert open_problem("", "why", False, False) == "officer.ack_need_by"
    assert open_problem("王", " ", False, False) == "control.need_reason"
    assert open_problem("王", "why", True, False) == "control.need_override"
    assert open_problem("王", "why", True, True) is None
    assert open_problem("王", "why", False, False) is None


def test_override_only_in_lockdown_and_refusals_translated() -> None:
    asked: list[dict[str, Any]] = []

    def unlock(p: dict[str, Any]) -> dict[str, Any]:
        asked.append(p)
        if p["door"] == "gate" and not p.get("override"):
            raise InvalidInput("the site is in lockdown: door gate was not opened ...")
        return {"command_id": "c", "expires_at": 0, "override": bool(p.get("override"))}

    gw = LocalGateway({"door.unlock": unlock, "lockdown.set": lambda p: {"lockdown": p["on"]}})
    control = WallControl(gw, Strings("zh"), lambda: None)
    assert control.open_door("gate", "大门", "王", "快递") is None
    assert asked[-1] == {"door": "gate", "by": "王", "reason": "快递"}
    # the core was in lockdown although the wall had not heard it yet
    assert control.note == "封控中，大门 未开启，未发送任何指令" and not control.note_ok
    assert control.set_lockdown(True, "王") is None and control.lockdown is True
    assert control.open_door("gate", "大门", "王", "救护车") == "control.need_override"
    assert len(asked) == 1
    assert control.open_door("gate", "大门", "王", "救护车", override=True) is None
    assert asked[-1]["override"] is True and control.note.startswith("封控中越权开门")
    assert control.set_lockdown(False, "") == "officer.ack_need_by"
    assert control.set_lockdown(False, "王") is None and control.lockdown is False
    assert control.open_door("gate", "大门", "王", "快递", override=True) is None
    assert "override" not in asked[-1], "no override is sent outside a lockdown"


def test_the_doors_answer_is_shown_whichever_arrives_first() -> None:
    """A door may answer its command before the core's reply reaches the wall (two threads, two
    topics): the answer is kept and shown once the reply names the command."""
    gw: LocalGateway

    def unlock(p: dict[str, Any]) -> dict[str, Any]:
        cid = f"c-{p['reason']}"
        if p["reason"] == "early":  # the door answers before the core's reply is handled
            gw.deliver("door/gate/ack", {"command_id": cid, "ok": True})
        return {"command_id": cid, "expires_at": 0, "override": False}

    gw = LocalGateway({"door.unlock": unlock})
    control = WallControl(gw, Strings("en"), lambda: None)
    control.open_door("gate", "Main gate", "Wang", "early")
    assert control.note == "Door opened: Main gate"
    control.open_door("gate", "Main gate", "Wang", "late")
    assert control.note == "Open sent to Main gate"
    gw.deliver("door/gate/ack", {"command_id": "c-other", "ok": True})  # another's command
    assert control.note == "Open sent to Main gate"
    gw.deliver("door/gate/ack", {"command_id": "c-late", "reason": "fire"})
    assert control.note == "Main gate refused to open: fire" and not control.note_ok
