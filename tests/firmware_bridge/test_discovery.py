"""Home Assistant discovery (issue 14): the lock is commandable through the core, on a topic
that names the ha broker user, and a door that is offline is unavailable, not UNLOCKED."""

from __future__ import annotations

import json

import pytest

from compound.adapters.mqtt import Message
from compound.config import BoardWiring, BridgeConfig, DoorWiring
from compound.protocol.acl import Device, Rule, rules_for
from compound.protocol.door_list import MAX_DOORS, decode_door_list
from compound.protocol.messages import DoorCommand
from compound.protocol.topics import Topics
from firmware_bridge.boards import check_wiring
from firmware_bridge.discovery import DOOR_ONLINE, discovery_messages
from tests.firmware_bridge.conftest import Rig, wait_for
from tests.firmware_bridge.test_command_answers import answer


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


def test_a_bridge_may_write_exactly_its_own_doors_discovery_configs() -> None:
    """Every config the bridge publishes is a literal write rule of its broker user, and it has
    no other rule under homeassistant/: another door's config (which names that lock's command
    topic) stays out of its reach. On the shipped broker: tests/security/
    test_ha_discovery_acl.py."""
    t = Topics("s1")

    def ha_rules(device: Device) -> set[Rule]:
        return {r for r in rules_for(device, t) if r.topic.startswith("homeassistant/")}

    sent = discovery_messages(t, "bridge", ["d1", "d2"])
    assert ha_rules(Device("bridge", "bridge", doors=("d1", "d2"))) == {
        Rule("write", topic) for topic, _ in sent
    }
    assert ha_rules(Device("relay", "relay", doors=("d1",))) == set()
    assert ha_rules(Device("panel", "panel", doors=("d1",))) == set()
    assert ha_rules(Device("console", "console")) == set()
    assert ha_rules(Device("ha", "ha")) == {Rule("read", "homeassistant/#")}


@pytest.mark.integration
def test_an_ha_unlock_opens_the_door_through_the_core(rig: Rig) -> None:
    """End to end with the bridge: Home Assistant's UNLOCK on its command topic is signed by
    the core, carried out by the bridge (answered ok, the strike moves) and logged with the
    ha user as the actor. (Who may write the topic: tests/security/test_ha_lock.py.)"""
    ha = rig.bus("ha-home")
    since = len(rig.board.history)
    ha.publish(rig.topics.ha_lock_command("ha-home", "d1"), b"UNLOCK", qos=1)
    (cmd,) = wait_for(lambda: rig.messages("door/d1/cmd"), what="the core's command")
    got = answer(rig, DoorCommand.decode(cmd.payload).id)
    assert got["ok"] is True
    assert any(c.channel == 0 and c.on for c in rig.board.history[since:])
    rows = rig.store.query("SELECT data FROM events WHERE type = 'door.remote_unlock'")
    assert json.loads(rows[-1]["data"])["actor"] == "ha-home"


@pytest.mark.integration
def test_the_bridge_says_which_doors_it_is_wired_for_retained_before_its_configs(
    rig: Rig,
) -> None:
    """On start the bridge leaves, retained under its own name, the doors of its wiring (the
    core clears the configs of a registered door not on it: compound.protocol.door_list); on
    every (re)connect it says so again before its discovery configs."""
    topic = rig.topics.bridge_doors("bridge")  # the rig's bus has no broker user: its client id
    late: list[Message] = []
    reader = rig.bus("late-reader")
    reader.subscribe(topic, late.append)
    (first,) = wait_for(lambda: list(late), what="the retained door list")
    assert first.retain and decode_door_list(first.payload) == {"d1", "d2"}
    got: list[Message] = []
    reader.subscribe("homeassistant/lock/+/config", got.append)
    reader.subscribe(topic, got.append)
    mark = len(got)

    def live() -> list[str]:
        """Sent from now on, not the retained copies the subscriptions bring."""
        return [m.topic for m in got[mark:] if not m.retain]

    rig.bridge.publish_all()  # what a reconnect runs
    wait_for(lambda: sum(t.startswith("homeassistant/") for t in live()) >= 2, what="configs")
    after = live()
    assert after[0] == topic and after.count(topic) == 1, after


def test_a_wiring_whose_door_list_could_not_be_read_is_refused() -> None:
    """The core reads the bridge's list of doors no further than MAX_DOORS ids, each a topic
    segment: a wiring beyond that is refused at start, with the reason, not at publishing."""
    board = BoardWiring("b1", "/dev/null", 115200, 1, 8, -1)

    def wiring(*ids: str) -> BridgeConfig:
        doors = [DoorWiring(d, "b1", i, -1, -1, -1) for i, d in enumerate(ids)]
        return BridgeConfig(boards=[board], doors=doors)

    check_wiring(wiring("d1", "d-2.east_gate"))
    with pytest.raises(ValueError, match="door id 'd1/#'"):
        check_wiring(wiring("d1/#"))
    with pytest.raises(ValueError, match=f"at most {MAX_DOORS} doors"):
        check_wiring(wiring(*(f"d{i}" for i in range(MAX_DOORS + 1))))
