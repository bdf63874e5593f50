"""A command captured off the bus does not open the door again after a bridge restart: on a real
Mosquitto, with the board's own coil history as the witness."""

from __future__ import annotations

import json

import pytest

from compound.protocol.messages import DoorCommand
from firmware_bridge.bridge import Bridge
from firmware_bridge.door_keys import load_door_keys
from tests.firmware_bridge.conftest import Rig, bridge_config, wait_for

pytestmark = pytest.mark.integration


def restarted_bridge(rig: Rig) -> Bridge:
    """The rig's bridge stopped and a new one started in its place, as systemd restarts the
    service: same client id, same key files, same state directory."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    bridge = Bridge(
        bridge_config(rig.board, rig.mcu, held_open_s=2.0, open_time_s=3.0),
        rig.bus("bridge"),
        rig.core.clock,
        load_door_keys(rig.store.key_dir, ["d1", "d2"]).__getitem__,
        state_dir=rig.state_dir,
    )
    bridge.start()
    return bridge


def test_a_captured_unlock_replayed_after_a_restart_is_refused(rig: Rig) -> None:
    """The core's signed unlock is captured off the bus and carried out; the bridge restarts
    (about a second, inside the command's 3 s lifetime) and the captured bytes are sent again
    before the command expires: refused as issued before the bridge started, answered with
    ``ok: false``, and the strike is never powered again."""
    sent = rig.core.send_command("d1", "unlock", "resident", 1.0)
    captured = wait_for(lambda: rig.messages("door/d1/cmd"), what="the command on the bus")
    payload = captured[-1].payload
    assert DoorCommand.decode(payload).id == sent.id
    wait_for(lambda: rig.board.coils[0] is True, what="the strike powered by the command")
    bridge = restarted_bridge(rig)
    try:
        wait_for(lambda: bridge.status()["doors"]["d1"]["state"] == "locked", what="d1 online")
        assert rig.board.coils[0] is False
        history = len(rig.board.history)
        rig.bus("attacker").publish(rig.topics.door_cmd("d1"), payload)
        replayed_at = rig.core.clock.now()
        assert replayed_at < sent.expires_at, "the replay must fall inside the command's life"

        def refusal() -> list[dict[str, object]]:
            acks = [json.loads(m.payload) for m in rig.messages("door/d1/ack")]
            return [a for a in acks if a["command_id"] == sent.id and a["ok"] is False]

        answer = wait_for(refusal, what="the replay answered as refused")[-1]
        assert answer["reason"] == "issued_before_start"
        assert bridge.guard.refused["issued_before_start"] == 1
        assert bridge.guard.accepted == 0
        # Refused on the bus thread before any coil job could be queued: nothing follows.
        assert not [c for c in rig.board.history[history:] if c.channel == 0]
        assert bridge.status()["doors"]["d1"]["state"] == "locked"
        # A command the core issues now is carried out as usual.
        rig.core.send_command("d1", "unlock", "after the restart", 1.0)
        wait_for(lambda: rig.board.coils[0] is True, what="a fresh command still opens")
    finally:
        bridge.stop()
