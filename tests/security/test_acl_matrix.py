"""The ACL test matrix: a real Mosquitto with the shipped drop-in config and credentials issued
by ``compound devices add``; every forbidden publish and subscribe is denied, every allowed one
works.

How a denial is seen: a publish the broker drops never reaches an observer that may read
everything (the core). To know it would have arrived by now, the same client then publishes a
"fence" message on a topic it may write; publishes from one client reach a subscriber in order,
so once the fence is in, the denied message can no longer come.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from compound.adapters.mqtt import Bus, BusError, Message
from compound.ports import ACTOR
from compound.protocol.messages import new_id
from tests.security.conftest import SecuredBroker

pytestmark = [pytest.mark.integration]

# A topic each client may write, used as its fence.
FENCE = {
    "core": "notice",
    "console1": "api/console1/status",
    "panel1": "intercom/d1/call",
    "bridge1": "door/d1/ack",
    "relay3": "door/d3/ack",
    "face1": "face/c1/result",
    "st1": "intercom/station/st1/reply",
    "ha1": "device/ha1/availability",
}

# (client, topic under compound/<site>/, allowed)
PUBLISH = [
    ("core", "door/d1/cmd", True),
    ("core", "access/d1/result", True),
    ("console1", "api/console1/door.unlock", True),
    ("console1", "api/console1/call.start", True),  # the officer and managers place calls by API
    # A request names its asker, whom the core logs: each user asks under its own name only.
    ("console1", "api/console2/door.unlock", False),
    ("console1", "api/door.unlock", False),  # no request without a user
    ("console1", "intercom/d1/call", False),
    ("console1", "door/d1/cmd", False),
    ("console1", "events/access.granted", False),
    ("panel1", "api/panel1/notice.list", True),
    ("panel1", "api/panel1/door.list", True),
    # Calls go on the panel's own door's call topic, where the core reads the door from the
    # topic; the call API names the door in its parameters, which the broker cannot check.
    ("panel1", "api/panel1/call.start", False),
    ("panel1", "api/panel1/call.hangup", False),
    ("panel1", "api/panel1/emergency.call", False),
    ("panel1", "access/d1/request/panel", True),  # a PIN or pass at the panel, its own door
    ("panel1", "access/d1/request", False),  # the reader's: a panel cannot assert a card
    ("panel1", "access/d2/request/panel", False),
    ("bridge1", "access/d1/request/panel", False),
    ("panel1", "intercom/d1/call", True),
    ("panel1", "device/panel1/availability", True),
    ("panel1", "door/d1/cmd", False),  # a door panel cannot command a relay
    ("panel1", "access/d1/result", False),
    ("panel1", "access/d2/request", False),
    ("panel1", "api/panel1/status", False),
    ("panel1", "api/panel1/face.enroll", False),
    ("panel1", "api/panel1/notice.post", False),
    ("panel1", "api/panel1/door.unlock", False),
    ("panel1", "api/panel1/person.list", False),
    ("panel1", "api/console1/door.list", False),  # not even its own methods as someone else
    ("panel1", "api/console1/door.unlock", False),
    ("panel1", "intercom/d2/call", False),  # cannot ring a flat as if from another door
    ("panel1", "intercom/unit/3-2-1501/ring", False),
    ("panel1", "intercom/d1/call/k1/state", False),  # only the core says how a call goes
    ("panel1", "device/core/availability", False),
    ("bridge1", "door/d1/state", True),
    ("bridge1", "door/d2/event", True),
    ("bridge1", "access/d2/request", True),
    ("bridge1", "intercom/d1/call", True),
    ("bridge1", "door/d3/state", False),
    ("bridge1", "access/d3/request", False),
    ("bridge1", "door/d1/cmd", False),
    ("bridge1", "door/d1/event/ack", False),  # only the core says an event is logged
    ("panel1", "door/d1/event/ack", False),
    ("bridge1", "access/d1/result", False),
    ("bridge1", "api/bridge1/door.unlock", False),
    ("relay3", "door/d3/event", True),
    ("relay3", "door/d3/state", True),
    ("relay3", "access/d3/result", False),  # a relay node cannot publish access grants
    ("relay3", "access/d3/request", False),
    ("relay3", "door/d1/event", False),
    ("relay3", "door/d3/cmd", False),
    ("face1", "access/d2/request/face", True),
    ("face1", "access/d2/request", False),  # a face match travels only on its own topic
    ("panel1", "access/d1/request/face", False),  # a panel cannot assert a face
    ("bridge1", "access/d1/request/face", False),
    ("face1", "face/c1/frame", True),
    ("face1", "door/d1/cmd", False),
    ("face1", "access/d1/result", False),
    ("face1", "api/face1/door.unlock", False),
    # It answers enrolment requests, it does not make them.
    ("face1", "api/face1/face.enroll", False),
    ("face1", "api/console1/face.enroll", False),
    ("st1", "intercom/station/st1/reply", True),
    ("st1", "intercom/station/st2/reply", False),  # cannot answer for another flat
    ("st1", "intercom/unit/3-2-1501/ring", False),
    ("st1", "door/d1/cmd", False),
    ("st1", "api/st1/door.unlock", False),
    ("st1", "access/d1/request", False),
    ("st1", "device/st1/availability", False),
    ("st1", "notice", False),
    # Home Assistant commands its locks under its own name only, and nothing else.
    ("ha1", "ha/ha1/door/d1/set", True),
    ("ha1", "ha/console1/door/d1/set", False),
    ("ha1", "door/d1/cmd", False),
    ("ha1", "api/ha1/door.unlock", False),
    ("ha1", "access/d1/request", False),
    ("panel1", "ha/panel1/door/d1/set", False),
    ("panel1", "ha/ha1/door/d1/set", False),
    ("console1", "ha/console1/door/d1/set", False),
    # Alarm zones: a bridge reports its own zones under its own name, and nobody else does.
    ("bridge1", "zone/bridge1/north-fence/state", True),
    ("bridge1", "zone/bridge2/north-fence/state", False),
    ("relay3", "zone/relay3/north-fence/state", False),
    ("panel1", "zone/panel1/north-fence/state", False),
    ("console1", "zone/console1/north-fence/state", False),
    ("st1", "zone/st1/north-fence/state", False),
    # The doors a bridge is wired for: its own list only (the core reads it no further than
    # the bridge's registration), which no other bridge, panel or relay may write.
    ("bridge1", "device/bridge1/doors", True),
    ("bridge1", "device/bridge2/doors", False),
    ("bridge1", "device/relay3/doors", False),
    ("relay3", "device/relay3/doors", False),
    ("panel1", "device/bridge1/doors", False),
    ("console1", "device/bridge1/doors", False),
    # A station issues visitor passes as itself, through its own methods only.
    ("st1", "api/st1/pass.station_issue", True),
    ("st1", "api/st1/pass.station_revoke", True),
    ("st1", "api/st2/pass.station_issue", False),
    ("st1", "api/st1/pass.issue", False),
    ("st1", "api/st1/pass.revoke", False),
    ("panel1", "api/panel1/pass.station_issue", False),
    # A card or PIN is taken back from the console only (a device could lock residents out).
    ("console1", "api/console1/credential.revoke", True),
    ("panel1", "api/panel1/credential.revoke", False),
    ("st1", "api/st1/credential.revoke", False),
]

# (client, topic filter it subscribes to, a topic the core publishes that the filter matches,
#  allowed)
SUBSCRIBE = [
    ("panel1", "access/d1/result", "access/d1/result", True),
    ("panel1", "face/c1/frame", "face/c1/frame", True),
    ("panel1", "notice", "notice", True),
    ("panel1", "intercom/d1/call/+/state", "intercom/d1/call/k1/state", True),
    # Which flats are called from other doors is not a panel's business.
    ("panel1", "intercom/d2/call/+/state", "intercom/d2/call/k2/state", False),
    ("panel1", "intercom/+/call/+/state", "intercom/d2/call/k3/state", False),
    ("panel1", "face/c1/result", "face/c1/result", True),
    ("panel1", "device/+/availability", "device/core/availability", True),
    ("panel1", "face/c2/result", "face/c2/result", False),
    ("panel1", "access/+/request", "access/d1/request", False),
    ("panel1", "access/d2/result", "access/d2/result", False),
    ("panel1", "face/c2/frame", "face/c2/frame", False),
    ("panel1", "door/+/cmd", "door/d1/cmd", False),
    ("panel1", "events/#", "events/access.granted", False),
    ("panel1", "reply/console1/#", "reply/console1/status", False),
    ("panel1", "#", "door/d1/cmd", False),
    ("bridge1", "door/d1/cmd", "door/d1/cmd", True),
    ("bridge1", "door/d2/cmd", "door/d2/cmd", True),
    ("bridge1", "door/d3/cmd", "door/d3/cmd", False),
    ("bridge1", "door/d1/event/ack", "door/d1/event/ack", True),
    ("bridge1", "door/d3/event/ack", "door/d3/event/ack", False),
    ("bridge1", "access/+/result", "access/d1/result", False),
    ("relay3", "door/d3/cmd", "door/d3/cmd", True),
    ("relay3", "door/d1/cmd", "door/d1/cmd", False),
    ("face1", "api/+/face.enroll", "api/console1/face.enroll", True),
    ("face1", "api/+/face.quality", "api/console1/face.quality", True),
    ("face1", "api/+/face.delete", "api/console1/face.delete", True),
    ("face1", "api/+/person.list", "api/console1/person.list", False),
    ("face1", "api/+/door.unlock", "api/console1/door.unlock", False),
    ("face1", "events/#", "events/access.granted", False),
    ("st1", "intercom/unit/3-2-1501/ring", "intercom/unit/3-2-1501/ring", True),
    ("st1", "intercom/unit/3-2-1502/ring", "intercom/unit/3-2-1502/ring", False),
    ("st1", "intercom/unit/+/ring", "intercom/unit/3-2-1502/ring", False),
    ("st1", "door/d1/cmd", "door/d1/cmd", False),
    ("st1", "#", "access/d1/result", False),
    ("console1", "events/#", "events/access.granted", True),
    ("console1", "door/+/state", "door/d2/state", True),
    ("console1", "face/+/frame", "face/c1/frame", True),
    ("console1", "intercom/+/call/+/state", "intercom/d2/call/k4/state", True),
    # Replies are named by broker user, so one manager's console cannot read another's answers
    # (people, PINs being reset, ...) whatever client id either picks.
    ("console1", "reply/console1/#", "reply/console1/cli-42/person.list", True),
    ("console1", "reply/console2/#", "reply/console2/cli-42/person.list", False),
    ("console1", "reply/#", "reply/console2/cli-43/person.list", False),
    ("console1", "reply/cli-42/#", "reply/cli-42/person.list", False),
    ("console1", "door/+/cmd", "door/d1/cmd", False),
    ("console1", "access/+/request", "access/d1/request", False),
    ("ha1", "door/+/state", "door/d2/state", True),
    ("ha1", "device/+/availability", "device/bridge1/availability", True),
    ("ha1", "door/+/cmd", "door/d1/cmd", False),
    ("ha1", "events/#", "events/access.granted", False),
    ("ha1", "ha/+/door/+/set", "ha/ha2/door/d1/set", False),
    ("console1", "zone/+/+/state", "zone/bridge1/north-fence/state", True),
    ("panel1", "zone/+/+/state", "zone/bridge1/north-fence/state", False),
    ("st1", "reply/st1/#", "reply/st1/st1/pass.station_issue", True),
    ("st1", "reply/console1/#", "reply/console1/cli-1/person.list", False),
]

# A topic each subscribing client may read, used as the fence for subscriptions.
READ_FENCE = {
    "panel1": "notice",
    "bridge1": "door/d1/cmd",
    "relay3": "door/d3/cmd",
    "face1": "api/console1/face.enroll",
    "st1": "intercom/unit/3-2-1501/ring",
    "console1": "notice",
    "ha1": "door/d1/state",
}


class Seen:
    def __init__(self) -> None:
        self.payloads: set[bytes] = set()
        self.cond = threading.Condition()

    def __call__(self, msg: Message) -> None:
        with self.cond:
            self.payloads.add(msg.payload)
            self.cond.notify_all()

    def wait(self, payload: bytes, timeout: float = 5.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: payload in self.payloads, timeout)


@pytest.fixture(scope="module")
def observer(secured: SecuredBroker) -> Iterator[tuple[Bus, Seen]]:
    bus = secured.bus("watch")
    seen = Seen()
    bus.subscribe(secured.topics.all("#"), seen)
    bus.start(timeout=10)  # returns once the broker has acknowledged the subscription
    yield bus, seen
    bus.stop()


def client(secured: SecuredBroker, clients: dict[str, Bus], name: str) -> Bus:
    if name not in clients:
        bus = secured.bus(name)
        bus.start(timeout=10)
        clients[name] = bus
    return clients[name]


@pytest.mark.parametrize(("name", "topic", "allowed"), PUBLISH)
def test_publish(
    secured: SecuredBroker,
    observer: tuple[Bus, Seen],
    clients: dict[str, Bus],
    name: str,
    topic: str,
    allowed: bool,
) -> None:
    """Each role may publish exactly where its job needs and nowhere else."""
    _, seen = observer
    bus = client(secured, clients, name)
    payload = f"probe-{new_id()}".encode()
    fence = f"fence-{new_id()}".encode()
    bus.publish(secured.topics.all(topic), payload, qos=1)
    bus.publish(secured.topics.all(FENCE[name]), fence, qos=1)
    assert seen.wait(fence), f"fence from {name} never arrived: the test cannot judge"
    arrived = payload in seen.payloads
    assert arrived == allowed, f"{name} publishing on {topic}: arrived={arrived}"


@pytest.mark.parametrize(("name", "topic_filter", "topic", "allowed"), SUBSCRIBE)
def test_subscribe(
    secured: SecuredBroker,
    observer: tuple[Bus, Seen],
    name: str,
    topic_filter: str,
    topic: str,
    allowed: bool,
) -> None:
    """Each role may read only what its job needs: a panel never sees door commands or other
    doors' results, a station never hears another flat's ring."""
    core, _ = observer
    t = secured.topics
    seen = Seen()
    # A fresh connection per case, so one case's subscriptions cannot serve another.
    bus = secured.bus(name, client_id=f"{name}-sub-{new_id()[:8]}")
    bus.subscribe(t.all(topic_filter), seen)
    bus.subscribe(t.all(READ_FENCE[name]), seen)
    bus.start(timeout=10)
    try:
        # Both subscriptions went out in order; once the second one delivers, the first has
        # been decided by the broker.
        ready = f"ready-{new_id()}".encode()
        deadline = time.monotonic() + 5
        while not seen.wait(ready, 0.1):
            assert time.monotonic() < deadline, f"{name} never received its own fence topic"
            core.publish(t.all(READ_FENCE[name]), ready, qos=1)
        payload = f"probe-{new_id()}".encode()
        fence = f"fence-{new_id()}".encode()
        core.publish(t.all(topic), payload, qos=1)
        core.publish(t.all(READ_FENCE[name]), fence, qos=1)
        assert seen.wait(fence), "fence never arrived: the test cannot judge"
        time.sleep(0.05)
        arrived = payload in seen.payloads
        assert arrived == allowed, f"{name} subscribed to {topic_filter}: arrived={arrived}"
    finally:
        bus.stop()


def test_request_is_answered_under_the_askers_user_only(
    secured: SecuredBroker, observer: tuple[Bus, Seen]
) -> None:
    """A console's request is answered on a reply topic under its own user name, which its ACL
    lets it read, so requests work with the shipped ACL; another console subscribed to every
    reply topic hears none of it."""
    core, _ = observer
    t = secured.topics
    asked: list[dict[str, object]] = []

    def probe(params: dict[str, object]) -> dict[str, str]:
        asked.append(params)
        return {"secret": "for console1"}

    core.serve({"acl.probe": probe})
    spy = Seen()
    other = secured.bus("console2", client_id=f"console2-{new_id()[:8]}")
    other.subscribe(t.all("reply/#"), spy)
    other.subscribe(t.all("notice"), spy)
    other.start(timeout=10)
    asker = secured.bus("console1", client_id=f"cli-{new_id()[:8]}")
    asker.start(timeout=10)
    try:
        assert asker.request("acl.probe", {"n": 1}, timeout=5) == {"secret": "for console1"}
        # The method learns who asked from the request topic: the broker user, not a claim.
        assert asked == [{"n": 1, ACTOR: "console1"}]
        fence = f"fence-{new_id()}".encode()
        core.publish(t.all("notice"), fence, qos=1)
        assert spy.wait(fence), "fence never arrived: the test cannot judge"
        assert spy.payloads == {fence}, "console2 read console1's reply"
    finally:
        asker.stop()
        other.stop()


def test_anonymous_and_wrong_password_refused(secured: SecuredBroker) -> None:
    """Mosquitto with the shipped config refuses a client without a credential or with a wrong
    one: nobody can speak on the bus without being issued a credential."""
    for bus in (
        secured.bus("anon", password=""),
        secured.bus("panel1", password="not-the-password"),
        secured.bus("nobody", password="whatever"),
    ):
        with pytest.raises(BusError):
            bus.start(timeout=2)


def test_tls_listener(secured: SecuredBroker) -> None:
    """The listener for devices off the box speaks only TLS: a plain connection to it fails,
    and a device with its credential and the box's CA connects."""
    plain = secured.bus("panel1")
    plain_cfg = plain.config
    plain = Bus(
        type(plain_cfg)(port=secured.tls_port, username="panel1",
                        password=secured.passwords["panel1"]),
        secured.topics,
        "panel1-plain",
    )  # fmt: skip
    with pytest.raises(BusError):
        plain.start(timeout=2)
    tls = secured.bus("panel1", tls=True)
    tls.start(timeout=10)
    assert tls.connected
    tls.stop()


def connects_within(
    secured: SecuredBroker, name: str, password: str, want: bool, timeout: float = 20.0
) -> bool:
    """Whether connecting reaches the wanted outcome (in or refused) before the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        bus = secured.bus(name, password=password)
        try:
            bus.start(timeout=2)
            bus.stop()
            got = True
        except BusError:
            got = False
        if got == want:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def test_revoke_cuts_device_off(secured: SecuredBroker) -> None:
    """`compound devices revoke` rewrites the broker files and reloads Mosquitto, so the
    revoked device cannot connect any more; re-adding issues a new password."""
    rc, out, err = secured.cli("devices", "add", "gone1", "--role", "relay", "--door", "d9",
                               "--json")  # fmt: skip
    assert rc == 0, err
    import json

    info = json.loads(out)
    assert info["broker_reloaded"] is True
    password = info["password"]
    # Mosquitto reloads its files on SIGHUP in its main loop, a moment later: try until then.
    assert connects_within(secured, "gone1", password, want=True), "the new device never got in"
    rc, out, err = secured.cli("devices", "revoke", "gone1")
    assert rc == 0, err
    assert connects_within(secured, "gone1", password, want=False), "the revoked device got in"
    rc, _, err = secured.cli("devices", "revoke", "gone1")
    assert rc == 2 and "no active device" in err
