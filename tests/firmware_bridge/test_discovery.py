"""Home Assistant discovery (issue 14): the lock is commandable through the core, on a topic
that names the ha broker user, and a door that is offline is unavailable, not UNLOCKED."""

from __future__ import annotations

from compound.protocol.acl import Device, rules_for
from compound.protocol.topics import Topics
from firmware_bridge.discovery import DOOR_ONLINE, discovery_messages


def test_the_lock_commands_the_core_and_an_offline_door_is_unavailable() -> None:
    t = Topics("s1")
    msgs = dict(discovery_messages(t, "bridge", ["d1"], ha_user="ha-home"))
    lock = msgs["homeassistant/lock/s1_d1/config"]
    assert lock["command_topic"] == "compound/s1/ha/ha-home/door/d1/set"
    assert (lock["payload_unlock"], lock["payload_lock"]) == ("UNLOCK", "LOCK")
    assert lock["availability_mode"] == "all"
    assert lock["availability"] == [
        {"topic": "compound/s1/device/bridge/availability"},
        {"topic": "compound/s1/door/d1/state", "value_template": DOOR_ONLINE},
    ]
    assert "availability_topic" not in lock
    # Every entity of the door follows the same availability: none reads an offline door.
    assert len(msgs) == 5
    assert all(m["availability"] == lock["availability"] for m in msgs.values())
    # The ha user may write exactly that command topic (its own name), the bridge may not.
    ha = [r.topic for r in rules_for(Device("ha-home", "ha"), t) if r.access == "write"]
    assert "compound/s1/ha/ha-home/door/+/set" in ha
    bridge = rules_for(Device("bridge", "bridge", doors=("d1",)), t)
    assert not any("/ha/" in r.topic for r in bridge)
