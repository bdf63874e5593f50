"""Every door command is answered on ``door/<door>/ack``: ``ok: true`` once carried out, and
``ok: false`` with the reason for each refusal, so that whoever sent it is told. On a real
Mosquitto, with the board's coil history as the witness that nothing moved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compound.adapters import keys
from compound.protocol.messages import DoorCommand, encode
from tests.firmware_bridge.conftest import Rig, wait_for

pytestmark = pytest.mark.integration


def answer(rig: Rig, command_id: str, door: str = "d1") -> dict[str, Any]:
    def find() -> list[dict[str, Any]]:
        acks = [json.loads(m.payload) for m in rig.messages(f"door/{door}/ack")]
        return [a for a in acks if a["command_id"] == command_id]

    return wait_for(find, what=f"the answer to {command_id}")[-1]  # type: ignore[no-any-return]


def signed(rig: Rig, id_: str, **kw: Any) -> bytes:
    now = rig.core.clock.now()
    body: dict[str, Any] = {
        "id": id_,
        "door_id": "d1",
        "action": "unlock",
        "issued_at": now,
        "expires_at": now + 3,
        "reason": "test",
        "seq": rig.core._next_seq(),
        **kw,
    }
    return encode(DoorCommand(**body).signed(keys.door_command_key(rig.store.master_key, "d1")))


def strike_moved(rig: Rig, since: int) -> bool:
    return any(c.channel == 0 for c in rig.board.history[since:])


def test_a_remote_unlock_during_lockdown_is_answered_as_refused(rig: Rig) -> None:
    """The officer's lockdown, then a signed unlock without the override flag (the core itself
    no longer sends one, see test_lockdown_override): the bridge answers ``ok: false``, reason
    ``lockdown``; the core logs and streams the refusal, and the strike stays unpowered."""
    console = rig.bus("console")
    console.request("lockdown.set", {"on": True, "by": "officer"})
    wait_for(lambda: rig.bridge.status()["lockdown"], what="lockdown reached the bridge")
    since = len(rig.board.history)
    sent = {"command_id": "no-override"}
    rig.bus("attacker").publish(rig.topics.door_cmd("d1"), signed(rig, "no-override"))
    got = answer(rig, sent["command_id"])
    assert got["ok"] is False and got["reason"] == "lockdown" and got["state"] == "locked"
    # The core logs the refusal, so the console that asked sees it on the event stream.
    refusals = wait_for(
        lambda: rig.store.query("SELECT data FROM events WHERE type = 'door.command_refused'"),
        what="the refusal in the core's log",
    )
    assert json.loads(refusals[-1]["data"]) == {
        "command_id": sent["command_id"],
        "reason": "lockdown",
    }
    streamed = wait_for(lambda: rig.messages("events/door.command_refused"), what="streamed")
    assert sent["command_id"] in streamed[-1].payload.decode()
    assert not strike_moved(rig, since)


def test_every_refusal_is_answered_with_its_reason(rig: Rig) -> None:
    """Expired, replayed, badly signed, for an offline door, after the bridge began stopping:
    each is answered ``ok: false`` with its reason, and none moves the strike. A command that
    is carried out is answered ``ok: true``."""
    attacker = rig.bus("attacker")
    cmd_topic = rig.topics.door_cmd("d1")
    good = signed(rig, "good", duration_s=1.0)
    attacker.publish(cmd_topic, good)
    assert answer(rig, "good")["ok"] is True
    wait_for(lambda: rig.board.coils[0] is False, what="relocked after the open time")
    since = len(rig.board.history)
    now = rig.core.clock.now()
    refused = {
        "late": (signed(rig, "late", issued_at=now - 10, expires_at=now - 5), "expired"),
        "good": (good, "replayed"),
        "forged": (
            encode(DoorCommand(**{**DoorCommand.decode(signed(rig, "x")).body(), "id": "forged"})),
            "bad_mac",
        ),
    }
    for id_, (payload, _) in refused.items():
        before = len(rig.messages("door/d1/ack"))
        attacker.publish(cmd_topic, payload)
        wait_for(lambda b=before: len(rig.messages("door/d1/ack")) > b, what=f"answer to {id_}")
    for id_, (_, reason) in refused.items():
        got = answer(rig, id_)
        assert (got["ok"], got["reason"]) == (False, reason), id_
    rig.board.answering = False
    wait_for(lambda: rig.bridge.status()["doors"]["d1"]["state"] == "offline", what="offline")
    attacker.publish(cmd_topic, signed(rig, "while-offline"))
    assert answer(rig, "while-offline")["reason"] == "offline"
    rig.board.answering = True
    wait_for(
        lambda: rig.bridge.status()["doors"]["d1"]["state"] == "locked", timeout=10, what="back"
    )
    rig.bridge.stop()  # its bus stays connected: a command arriving now is still answered
    attacker.publish(cmd_topic, signed(rig, "while-stopping"))
    assert answer(rig, "while-stopping")["reason"] == "stopping"
    assert not any(c.on for c in rig.board.history[since:] if c.channel == 0)
