"""Remote opens during a lockdown (issue 14): refused by the core without an explicit override,
carried out with one (logged with the actor and the reason), and a forged override flag is
refused by the bridge. On a real Mosquitto, with the board's coil history as the witness."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compound.adapters.mqtt import ApiError
from compound.protocol.messages import DoorCommand, encode
from tests.firmware_bridge.conftest import Rig, wait_for
from tests.firmware_bridge.test_command_answers import answer, signed

pytestmark = pytest.mark.integration


def lockdown(rig: Rig) -> Any:
    console = rig.bus("console")
    console.request("lockdown.set", {"on": True, "by": "officer"})
    wait_for(lambda: rig.bridge.status()["lockdown"], what="lockdown reached the bridge")
    return console


def strike_pulses(rig: Rig, since: int) -> int:
    return sum(1 for c in rig.board.history[since:] if c.channel == 0 and c.on)


def remote_unlocks(rig: Rig) -> list[dict[str, Any]]:
    rows = rig.store.query("SELECT data FROM events WHERE type = 'door.remote_unlock'")
    return [json.loads(r["data"]) for r in rows]


def test_without_override_the_core_refuses_and_sends_nothing(rig: Rig) -> None:
    console = lockdown(rig)
    since = len(rig.board.history)
    with pytest.raises(ApiError, match="lockdown.*--override"):
        console.request("door.unlock", {"door": "d1", "reason": "delivery", "by": "officer"})
    assert remote_unlocks(rig) == []  # nothing logged as an unlock that did not happen
    # Fence: a later override is carried out; it is the only command the door ever saw.
    sent = console.request(
        "door.unlock", {"door": "d1", "reason": "ambulance", "by": "officer", "override": True}
    )
    assert answer(rig, sent["command_id"])["ok"] is True
    cmds = [DoorCommand.decode(m.payload) for m in rig.messages("door/d1/cmd")]
    assert [c.id for c in cmds] == [sent["command_id"]]
    assert strike_pulses(rig, since) == 1


def test_with_override_the_door_opens_and_the_log_says_who_and_why(rig: Rig) -> None:
    console = lockdown(rig)
    since = len(rig.board.history)
    sent = console.request(
        "door.unlock",
        {"door": "d1", "reason": "fire brigade at the gate", "by": "officer", "override": True},
    )
    assert sent["override"] is True
    got = answer(rig, sent["command_id"])
    assert got["ok"] is True
    assert strike_pulses(rig, since) == 1
    (logged,) = remote_unlocks(rig)
    assert logged == {
        "actor": "console",
        "by": "officer",
        "reason": "fire brigade at the gate",
        "override": True,
    }
    cmd = DoorCommand.decode(rig.messages("door/d1/cmd")[-1].payload)
    assert cmd.override is True and cmd.duration_s == 5.0  # the door record's open time
    assert rig.bridge.status()["lockdown"] is True  # the lockdown itself stays on


def test_a_forged_override_flag_is_refused_by_the_bridge(rig: Rig) -> None:
    """A captured or hand-made command with ``override: true`` added after signing: the MAC no
    longer matches, the bridge answers bad_mac, and the strike never moves."""
    lockdown(rig)
    attacker = rig.bus("attacker")
    since = len(rig.board.history)
    plain = DoorCommand.decode(signed(rig, "plain"))
    forged = DoorCommand(**{**plain.body(), "override": True, "mac": plain.mac})
    attacker.publish(rig.topics.door_cmd("d1"), encode(forged))
    got = answer(rig, "plain")
    assert (got["ok"], got["reason"]) == (False, "bad_mac")
    # The same command signed without the flag is refused for the lockdown, not opened.
    attacker.publish(rig.topics.door_cmd("d1"), signed(rig, "unflagged"))
    assert answer(rig, "unflagged")["reason"] == "lockdown"
    # Fence: a properly signed override is carried out; nothing before it moved the strike.
    attacker.publish(rig.topics.door_cmd("d1"), signed(rig, "genuine", override=True))
    assert answer(rig, "genuine")["ok"] is True
    assert strike_pulses(rig, since) == 1


def test_a_command_without_the_field_signs_as_before() -> None:
    """Old commands stay valid: with no override the signed body has no such key."""
    key = b"k" * 32
    cmd = DoorCommand("c1", "d1", "unlock", 1.0, 4.0, "test", 1, 5.0).signed(key)
    assert "override" not in cmd.body() and "override" not in json.loads(encode(cmd))
    assert DoorCommand.decode(encode(cmd)).mac_ok(key)
    with pytest.raises(Exception, match="override"):
        DoorCommand.decode(json.dumps({**json.loads(encode(cmd)), "override": False}))


def test_the_cli_prints_the_doors_answer_or_the_refusal(
    rig: Rig, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """`compound door unlock` waits for the bridge: "opened", or the core's lockdown refusal
    (exit 2, nothing sent), or with --override "opened" again; never "sent" alone."""
    from compound.app.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[site]\nid = "{rig.topics.site}"\n[broker]\nport = {rig.broker.port}\n')
    base = ["--config", str(cfg), "--db", str(tmp_path / "unused.db"), "door", "unlock", "d1"]
    assert main([*base, "--reason", "parcel"]) == 0
    assert "opened d1" in capsys.readouterr().out
    lockdown(rig)  # relocks the released door
    before = len(rig.messages("door/d1/cmd"))
    assert main([*base, "--reason", "parcel"]) == 2
    err = capsys.readouterr().err
    assert "lockdown" in err and "--override" in err
    assert main([*base, "--reason", "ambulance", "--override"]) == 0
    out = capsys.readouterr().out
    assert "opened d1 (lockdown override)" in out and "sent" not in out
    # Only the override went out (the watcher may see it a moment after the CLI's answer).
    wait_for(lambda: len(rig.messages("door/d1/cmd")) == before + 1, what="one command")
    cmds = [DoorCommand.decode(m.payload) for m in rig.messages("door/d1/cmd")[before:]]
    assert [c.override for c in cmds] == [True]
