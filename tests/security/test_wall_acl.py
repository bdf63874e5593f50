"""The officer wall's broker role on a real Mosquitto with the shipped config: it answers calls
as a station of its group on its own reply topic only, hears its own group's rings only, asks
only the wall's API methods (lockdown and remote opens among them: the core decides and logs
those), and can neither write a door command nor speak for another station. Each refusal is
judged with a fence: a later allowed message that does arrive."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from compound.adapters.mqtt import Bus
from compound.protocol.acl import WALL_METHODS, Device, rules_for
from compound.protocol.topics import Topics
from tests.security.conftest import SecuredBroker
from tests.security.test_api_actor import Seen

pytestmark = [pytest.mark.integration]


def test_wall_rules_name_no_wildcard_write_and_no_door_method(topics: Topics) -> None:
    """What the file grants, read without a broker: writes are literal topics under its own
    name; no door command, no call API, no registration; lockdown and remote open through the
    core's API only, by an identified officer, and the wall reads the lockdown state."""
    rules = rules_for(Device("wall1", "wall", unit="officer"), topics)
    writes = {r.topic for r in rules if r.access != "read"}
    assert not [w for w in writes if "+" in w or "#" in w]
    assert topics.intercom_reply("wall1") in writes
    # alarm.ack takes a typed name: the wall acknowledges by card or PIN (alarm.ack_officer)
    assert topics.api("wall1", "alarm.ack_officer") in writes
    for m in (
        "call.start",
        "emergency.call",
        "person.add",
        "person.move_out",
        "pass.issue",
        "alarm.ack",
    ):
        assert topics.api("wall1", m) not in writes
    assert topics.door_cmd("+") not in writes and topics.site_lockdown not in writes
    # Lockdown and remote opens by card or PIN too: never under a typed name.
    officer_control = {"door.unlock_officer", "lockdown.set_officer"}
    assert {topics.api("wall1", m) for m in officer_control} <= writes
    assert not {topics.api("wall1", m) for m in ("door.unlock", "lockdown.set")} & writes
    assert {topics.api("wall1", m) for m in WALL_METHODS} <= writes
    reads = {r.topic for r in rules if r.access == "read"}
    assert topics.site_lockdown in reads and topics.door_ack("+") in reads
    assert topics.intercom_ring("officer") in reads
    assert topics.intercom_ring("desk") not in reads
    with pytest.raises(Exception, match="station group"):
        Device("wall2", "wall")


@pytest.fixture(scope="module")
def wall(secured: SecuredBroker) -> Iterator[tuple[Bus, Bus, Seen, Seen]]:
    rc, out, err = secured.cli(
        "devices", "add", "wall1", "--role", "wall", "--unit", "officer", "--json", "--by", "t"
    )
    assert rc == 0, err
    secured.passwords["wall1"] = json.loads(out)["password"]
    watch = secured.bus("watch", client_id="watch-wall")
    seen = Seen()
    watch.subscribe(secured.topics.all("#"), seen)
    watch.start(timeout=10)
    # The reload is asynchronous: the wall's first connection is retried until it is let in.
    w = secured.bus("wall1")
    heard = Seen()
    w.subscribe(secured.topics.all("#"), heard)
    w.start(timeout=30)
    yield w, watch, seen, heard
    w.stop()
    watch.stop()


def test_wall_writes_its_reply_and_wall_methods_only(
    secured: SecuredBroker, wall: tuple[Bus, Bus, Seen, Seen]
) -> None:
    w, _, seen, _ = wall
    t = secured.topics
    mark = seen.mark()
    w.publish(t.intercom_reply("st1"), {"call_id": "x", "action": "unlock"})  # another station
    w.publish(t.api("wall1", "person.add"), {"params": {"name": "x"}, "reply_to": "r"})
    w.publish(t.door_cmd("d1"), {"x": 1})
    w.publish(t.api("wall1", "alarm.page"), {"params": {}, "reply_to": "r"})
    w.publish(t.intercom_reply("wall1"), {"call_id": "x", "action": "answer"})  # the fence
    assert seen.wait_for(lambda m: m.topic == t.intercom_reply("wall1"))
    got = [m.topic for m in seen.since(mark)]
    assert t.api("wall1", "alarm.page") in got
    assert t.intercom_reply("st1") not in got
    assert t.api("wall1", "person.add") not in got
    assert t.door_cmd("d1") not in got


def test_wall_hears_its_groups_rings_and_not_a_flats(
    secured: SecuredBroker, wall: tuple[Bus, Bus, Seen, Seen]
) -> None:
    _, watch, _, heard = wall
    t = secured.topics
    core = secured.bus("core", client_id="core-wall-test")
    core.start(timeout=10)
    try:
        mark = heard.mark()
        core.publish(t.intercom_ring("3-2-1501"), {"call_id": "flat"})
        core.publish(t.intercom_call_state("d1", "c9"), {"state": "ringing"})
        core.publish(t.intercom_ring("officer"), {"call_id": "sos"})  # the fence
        assert heard.wait_for(lambda m: m.topic == t.intercom_ring("officer"))
        got = [m.topic for m in heard.since(mark)]
        assert t.intercom_call_state("d1", "c9") in got
        assert t.intercom_ring("3-2-1501") not in got
    finally:
        core.stop()
