"""The core on a real broker: a credential shown at a door becomes a logged, hash-chained event
and a signed unlock command on the bus; bad requests open nothing."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from compound.adapters import keys
from compound.adapters.mqtt import ApiError, Bus, Message
from compound.app.cli import main
from compound.app.wiring import build_core
from compound.config import Config
from compound.protocol.messages import AccessRequest, DoorCommand, encode, new_id
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.store.db import Store

pytestmark = pytest.mark.integration


def seed(store: Store) -> int:
    store.add_unit("3-2-1501")
    store.add_door("b3-e2", "Building 3 entrance 2", ["3-2"])
    store.add_door("b1-e1", "Building 1 entrance 1", ["1-1"])
    pid = store.add_person("张伟", "3-2-1501", "owner")
    store.add_card(pid, "10001")
    return pid


@pytest.fixture(params=["mosquitto", "embedded"])
def broker(request: pytest.FixtureRequest) -> tuple[int, int]:
    """(port, protocol) of a real Mosquitto (MQTT 5) or the embedded demo broker (3.1.1)."""
    if request.param == "mosquitto":
        return request.getfixturevalue("mosquitto").port, 5
    return request.getfixturevalue("embedded_broker"), 4


class Watcher:
    def __init__(self, bus: Bus, pattern: str) -> None:
        self.q: queue.Queue[Message] = queue.Queue()
        bus.subscribe(pattern, self.q.put)

    def get(self, timeout: float = 15.0) -> Message:
        return self.q.get(timeout=timeout)


@pytest.fixture
def running(
    live_store: Store, topics: Topics, broker: tuple[int, int], make_bus: Callable[..., Bus]
) -> Iterator[tuple[Core, Bus]]:
    port, protocol = broker
    seed(live_store)
    core_bus = make_bus(port, "core", protocol, start=False)
    core = build_core(live_store, core_bus, live_store.clock, Config())
    core.start()
    core_bus.start()
    door_bus = make_bus(port, "door-b3", protocol)
    yield core, door_bus
    core.stop()


def request(
    kind: str = "card", value: str = "10001", door: str = "b3-e2", at: float | None = None
) -> AccessRequest:
    return AccessRequest(new_id(), door, kind, value, time.time() if at is None else at, "test")


def test_card_at_door_logs_event_and_sends_signed_unlock(
    running: tuple[Core, Bus], topics: Topics
) -> None:
    core, door = running
    cmds = Watcher(door, topics.door_cmd("b3-e2"))
    results = Watcher(door, topics.access_result("b3-e2"))
    stream = Watcher(door, topics.events("access.granted"))
    req = request()
    door.publish(topics.access_request("b3-e2"), encode(req))

    cmd_msg = cmds.get()
    assert not cmd_msg.retain
    cmd = DoorCommand.decode(cmd_msg.payload)
    assert cmd.action == "unlock" and cmd.door_id == "b3-e2"
    assert cmd.mac_ok(keys.door_command_key(core.store.master_key, "b3-e2"))
    assert 0 < cmd.expires_at - cmd.issued_at <= 3.0
    result = json.loads(results.get().payload)
    assert result["granted"] is True and result["display_name"] == "张*"
    streamed = json.loads(stream.get().payload)

    ev = core.store.events(types=["access.granted"])[-1]
    assert ev.data["request_id"] == req.id and ev.person_id == 1
    assert streamed["seq"] == ev.seq
    assert core.store.verify_log().ok
    outbox = core.store.query("SELECT payload FROM outbox WHERE event_seq = ?", (ev.seq,))
    assert json.loads(outbox[0]["payload"])["credential"] == "card"


def fence(door: Bus, topics: Topics, results: Watcher) -> None:
    """Send a request that is answered (denied) and wait for its answer. The core answers in
    order and publishes a door's command before its result, so whatever an earlier message
    would have caused has reached this client's watchers by then."""
    r = request(value="fence-99999")
    door.publish(topics.access_request(r.door_id), encode(r))
    while True:
        body = json.loads(results.get().payload)
        if body["request_id"] == r.id:
            return


@pytest.mark.parametrize(
    ("req", "logged", "told"),
    [
        (lambda: request(value="99999"), "unknown credential", "unknown credential"),
        # The door is told "unknown": a device must not learn that the card works elsewhere.
        (lambda: request(door="b1-e1"), "door not serving this person", "unknown credential"),
        (lambda: request(at=time.time() - 3600), "expired", "unknown credential"),
    ],
)
def test_denied_requests_send_no_command(
    running: tuple[Core, Bus],
    topics: Topics,
    req: Callable[[], AccessRequest],
    logged: str,
    told: str,
) -> None:
    core, door = running
    cmds = Watcher(door, topics.all("door/+/cmd"))
    results = Watcher(door, topics.all("access/+/result"))
    r = req()
    door.publish(topics.access_request(r.door_id), encode(r))
    result = json.loads(results.get().payload)
    assert result["granted"] is False and result["reason"] == told
    assert "person_id" not in result
    fence(door, topics, results)
    assert cmds.q.empty()
    assert core.store.events(types=["access.denied"])[-2].data["reason"] == logged


def test_malformed_replayed_and_misrouted_requests_open_nothing(
    running: tuple[Core, Bus], topics: Topics
) -> None:
    core, door = running
    cmds = Watcher(door, topics.all("door/+/cmd"))
    results = Watcher(door, topics.all("access/+/result"))
    req = request()
    door.publish(topics.access_request("b3-e2"), b"{not json")
    door.publish(topics.access_request("b3-e2"), json.dumps({"id": "x", "kind": 5}))
    door.publish(topics.access_request("b3-e2"), b"x" * 100_000)
    # a request for b3-e2 sent on another door's topic
    door.publish(topics.access_request("b1-e1"), encode(req))
    door.publish(topics.access_request("b3-e2"), encode(req))
    assert cmds.get().payload  # the one good request opens once
    assert json.loads(results.get().payload)["request_id"] == req.id
    door.publish(topics.access_request("b3-e2"), encode(req))  # replay
    fence(door, topics, results)
    assert cmds.q.empty()
    assert core.counters["access.malformed"] == 3
    assert core.counters["access.wrong_topic"] == 1
    assert core.counters["access.replayed"] == 1


def test_a_door_device_cannot_assert_a_face(running: tuple[Core, Bus], topics: Topics) -> None:
    """A panel may write its door's request topic (for PINs); a face match names a person, so
    the core takes one only from the face service's own topic, which the broker lets no door
    device write. A granted result tells the panel a display name, never the person id."""
    core, door = running
    cmds = Watcher(door, topics.all("door/+/cmd"))
    results = Watcher(door, topics.all("access/+/result"))
    face = request(kind="face", value="1")
    door.publish(topics.access_request("b3-e2"), encode(face))
    fence(door, topics, results)
    assert cmds.q.empty()
    assert core.counters["access.kind_not_allowed"] == 1
    assert not [e for e in core.store.events(limit=50) if e.data.get("kind") == "face"]
    # A card on the face service's topic is refused the same way.
    card = request()
    door.publish(topics.face_access_request("b3-e2"), encode(card))
    fence(door, topics, results)
    assert cmds.q.empty() and core.counters["access.kind_not_allowed"] == 2
    # On the face service's own topic the core decides on it (denied: no face is enrolled).
    face = request(kind="face", value="1")
    door.publish(topics.face_access_request("b3-e2"), encode(face))
    result = json.loads(results.get().payload)
    assert result["request_id"] == face.id and result["reason"] == "unknown credential"
    assert core.store.events(types=["access.denied"])[-1].data["kind"] == "face"


def test_api_request_response(running: tuple[Core, Bus]) -> None:
    core, client = running
    status: dict[str, Any] = client.request("status")
    assert set(status["doors"]) == {"b1-e1", "b3-e2"}
    with pytest.raises(ApiError, match="unknown door"):
        client.request("door.unlock", {"door": "nope", "reason": "x"})
    with pytest.raises(ApiError, match="say why"):
        client.request("door.unlock", {"door": "b3-e2", "reason": " "})
    people = client.request("person.list", {"q": "张", "size": 5})
    assert people["items"][0]["name"] == "张伟" and people["size"] == 5


def test_remote_unlock_is_logged_with_who_and_why(
    running: tuple[Core, Bus], topics: Topics
) -> None:
    core, client = running
    cmds = Watcher(client, topics.door_cmd("b3-e2"))
    r = client.request("door.unlock", {"door": "b3-e2", "reason": "delivery", "by": "guard"})
    assert DoorCommand.decode(cmds.get().payload).id == r["command_id"]
    ev = core.store.events(types=["door.remote_unlock"])[-1]
    # No broker user here (anonymous Mosquitto, embedded broker): the client id asks.
    assert ev.data == {"actor": client.user, "by": "guard", "reason": "delivery"}


def test_forced_door_event_raises_an_alarm(running: tuple[Core, Bus], topics: Topics) -> None:
    core, door = running
    alarms = Watcher(door, topics.events("alarm.raised"))
    door.publish(
        topics.door_event("b3-e2"), {"door_id": "b3-e2", "type": "forced_open", "at": time.time()}
    )
    body = json.loads(alarms.get().payload)
    assert body["data"]["kind"] == "forced_open"
    assert core.store.alarms(open_only=True)[0].door_id == "b3-e2"


def test_cli_lockdown_goes_through_the_core_and_is_retained(
    running: tuple[Core, Bus], topics: Topics, broker: tuple[int, int], tmp_path: Path
) -> None:
    """Door adapters follow the retained lockdown state, so the CLI must not bypass the core."""
    core, client = running
    port, protocol = broker
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[site]\nid = "test"\n[broker]\nport = {port}\nprotocol = {protocol}\n')
    assert main(["--config", str(cfg), "--db", str(core.store.path), "lockdown", "on"]) == 0
    assert core.store.lockdown()
    late = Watcher(client, topics.site_lockdown)  # subscribes after the fact: retained state
    assert json.loads(late.get().payload)["on"] is True
    results = Watcher(client, topics.access_result("b3-e2"))
    client.publish(topics.access_request("b3-e2"), encode(request()))
    assert json.loads(results.get().payload)["reason"] == "lockdown"


def test_person_add_with_a_refused_card_leaves_nothing(running: tuple[Core, Bus]) -> None:
    """The console's CSV import registers a row in one request: all of it or none of it."""
    core, client = running
    client.request("person.add", {"name": "甲", "unit": "3-2-1501", "role": "owner", "card": "777"})
    people = len(core.store.people())
    with pytest.raises(ApiError, match="already in use"):
        client.request(
            "person.add",
            {"name": "乙", "unit": "3-2-1502", "role": "owner", "card": "777", "create_unit": True},
        )
    assert len(core.store.people()) == people
    assert core.store.one("SELECT 1 AS x FROM units WHERE address = '3-2-1502'") is None


def test_a_request_delivered_twice_is_carried_out_once(
    running: tuple[Core, Bus], topics: Topics
) -> None:
    """QoS 1 may deliver a request twice (a redelivery, or one copy per overlapping
    subscription); registering a person twice would be a real error."""
    core, client = running
    before = len(core.store.people())
    replies = Watcher(client, topics.reply("dup-client", "person.add"))
    body = {
        "params": {"name": "丙", "unit": "3-2-1501", "role": "family"},
        "reply_to": topics.reply("dup-client", "person.add"),
        "corr": "same-corr",
    }
    client.publish(topics.api("dup-client", "person.add"), body)
    client.publish(topics.api("dup-client", "person.add"), body)
    assert json.loads(replies.get().payload)["ok"] is True
    # The fence: a third request, answered in turn; no second answer came before it.
    client.publish(topics.api("dup-client", "person.add"), {**body, "params": {}, "corr": "fence"})
    assert json.loads(replies.get().payload)["corr"] == "fence"
    assert len(core.store.people()) == before + 1


def test_health_names_what_keeps_the_core_from_deciding(running: tuple[Core, Bus]) -> None:
    """The watchdog is fed from this: a core whose decision thread or network thread has
    stopped is not healthy, whatever its process looks like."""
    core, _ = running
    assert core.health() is None
    core.decisions.stop()
    assert core.health() == "the decision thread has stopped"
    core.decisions.start()
    assert core.health() is None
    core.bus.stop()
    assert core.health() == "the bus's network thread has stopped"
