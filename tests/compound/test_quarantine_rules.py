"""What a quarantine takes from a broker user: exactly the write rules for the flooded door's
requests, and only from the users that could have sent them."""

from __future__ import annotations

from compound.protocol.acl import Device, Rule, render_acl, rules_for
from compound.protocol.quarantine import AVAILABILITY, matches, rules_with, writers
from compound.protocol.topics import Topics

T = Topics("s1")
DEVICES = [
    Device("core", "core"),
    Device("panel1", "panel", doors=("d1",)),
    Device("bridge1", "bridge", doors=("d1", "d2")),
    Device("relay3", "relay", doors=("d3",)),
    Device("face1", "face"),
    Device("console1", "console"),
]


def test_topic_matching_follows_mqtt() -> None:
    assert matches("a/+/c", "a/b/c") and matches("a/#", "a/b/c") and matches("a/b", "a/b")
    assert not matches("a/+/c", "a/b/c/d") and not matches("a/b", "a/b/c")
    assert not matches("a/+", "a") and matches("a/#", "a/b")


def test_each_request_channel_of_a_door_has_its_own_writers_never_the_core() -> None:
    assert writers(DEVICES, T.access_request("d1"), T) == ["bridge1"]  # the reader's
    assert writers(DEVICES, T.panel_access_request("d1"), T) == ["panel1"]
    assert writers(DEVICES, T.access_request("d2"), T) == ["bridge1"]
    assert writers(DEVICES, T.access_request("d3"), T) == []  # a relay sends no requests
    assert writers(DEVICES, T.face_access_request("d1"), T) == ["face1"]


def test_a_quarantined_user_loses_only_that_doors_requests() -> None:
    rules = rules_with({("bridge1", "d1"), ("face1", "d2"), ("core", "d1")})
    bridge = Device("bridge1", "bridge", doors=("d1", "d2"))
    lost = set(rules_for(bridge, T)) - set(rules(bridge, T))
    assert lost == {Rule("write", T.access_request("d1"))}
    face = Device("face1", "face")
    # the face service's one wildcard rule covers every door, so it goes whole
    assert set(rules_for(face, T)) - set(rules(face, T)) == {
        Rule("write", T.face_access_request("+"))
    }
    core = Device("core", "core")
    assert rules(core, T) == rules_for(core, T)  # never the core
    text = render_acl(DEVICES, T, rules)
    block = text.split("user bridge1\n")[1].split("\n\n")[0]
    assert f"topic write {T.access_request('d2')}" in block
    assert f"topic write {T.access_request('d1')}" not in block
    panel = Device("panel1", "panel", doors=("d1",))
    held = rules_with({("panel1", "d1")})
    assert set(rules_for(panel, T)) - set(held(panel, T)) == {
        Rule("write", T.panel_access_request("d1"))
    }
    assert render_acl(DEVICES, T) == render_acl(DEVICES, T, rules_with(()))


def test_a_user_quarantined_for_its_availability_loses_that_rule_only() -> None:
    assert writers(DEVICES, T.availability("panel1"), T) == ["panel1"]  # never the core
    bridge = Device("bridge1", "bridge", doors=("d1", "d2"))
    held = rules_with({("bridge1", AVAILABILITY), ("bridge1", "d2")})
    assert set(rules_for(bridge, T)) - set(held(bridge, T)) == {
        Rule("write", T.availability("bridge1")),
        Rule("write", T.access_request("d2")),
    }


def test_a_topic_quarantine_takes_that_topics_rule_alone() -> None:
    bridge = Device("bridge1", "bridge", doors=("d1", "d2"))
    held = rules_with({("bridge1", T.door_event("d1")), ("bridge1", T.door_state("d2"))})
    assert set(rules_for(bridge, T)) - set(held(bridge, T)) == {
        Rule("write", T.door_event("d1")),
        Rule("write", T.door_state("d2")),
    }
    # its readers, its other doors' events and the core's acknowledgements stay
    kept = set(held(bridge, T))
    assert Rule("write", T.access_request("d1")) in kept
    assert Rule("write", T.door_event("d2")) in kept
    assert Rule("read", T.door_event("d1") + "/ack") in kept
