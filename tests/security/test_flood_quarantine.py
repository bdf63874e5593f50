"""A device that floods its door's request topic is quarantined at the broker: the core records
it, raises an alarm naming the broker user, and has Mosquitto (the shipped drop-in config, with
credentials from ``compound devices add``) refuse its requests at that door, so the junk no
longer reaches the core's network thread. A door panel that floods is quarantined alone: the
bridge's card reader at the same door (it writes a topic of its own) and at its other door keeps
every swipe answered. ``compound devices release`` gives the rights back.

How "refused" is seen: a fence. The flooder publishes a marked request and then a message on a
topic it may still write; one client's publishes reach a subscriber in order, so once the fence
is in, a marked request that did not come before it was dropped by the broker.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator

import pytest

from compound.adapters.mqtt import Bus, Message
from compound.config import Config, SecurityConfig, SiteConfig
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.services.core import Core
from compound.services.quarantine import QuarantineWatch
from tests.security.conftest import SITE, SecuredBroker, devices_store, running_core

pytestmark = pytest.mark.integration

WAIT = 60.0  # an upper bound on waiting for an event, not a deadline


@pytest.fixture
def core(secured: SecuredBroker) -> Iterator[Core]:
    store = devices_store(secured)
    if store.door("d1") is None:
        store.add_unit("3-2-1501")
        store.add_door("d1", "Door 1", ["3-2"])
        store.add_door("d2", "Door 2", ["3-2"])
        store.add_card(store.add_person("张伟", "3-2-1501", "owner"), "10001")
    d = secured.dir
    config = Config(
        site=SiteConfig(id=SITE),
        security=SecurityConfig(
            acl_file=str(d / "acl"),
            password_file=str(d / "passwd"),
            broker_pid_file=str(d / "mosquitto.pid"),
            quarantine="broker",
        ),
    )
    with running_core(secured, store, config, timeout=30) as c:
        yield c


class Arrivals:
    def __init__(self) -> None:
        self.q: queue.Queue[Message] = queue.Queue()

    def __call__(self, msg: Message) -> None:
        self.q.put(msg)

    def until(self, payload: bytes) -> list[bytes]:
        """Everything that arrived up to and including ``payload``."""
        seen = []
        while True:
            m = self.q.get(timeout=WAIT)
            seen.append(m.payload)
            if m.payload == payload:
                return seen


def refused_at_d1(secured: SecuredBroker, flooder: Bus, arrivals: Arrivals) -> bool:
    """One marked request on d1's panel topic and a fence from the same client: was the request
    dropped?"""
    marked = encode(AccessRequest(new_id(), "d1", "pin", "424242", time.time(), "probe"))
    flooder.publish(secured.topics.panel_access_request("d1"), marked, qos=1)
    fence = f"fence-{new_id()}".encode()
    flooder.publish(secured.topics.intercom_call("d1"), fence, qos=1)
    return marked not in arrivals.until(fence)


def test_a_flooding_device_is_quarantined_at_the_broker_and_released_by_the_operator(
    secured: SecuredBroker, core: Core
) -> None:
    t = secured.topics
    watch = secured.bus("watch")  # a second core-role user: it may read everything
    arrivals = Arrivals()
    watch.subscribe(t.panel_access_request("d1"), arrivals)
    watch.subscribe(t.intercom_call("d1"), arrivals)
    alarms: queue.Queue[dict[str, object]] = queue.Queue()
    watch.subscribe(t.events("alarm.raised"), lambda m: alarms.put(json.loads(m.payload)))
    answers: queue.Queue[dict[str, object]] = queue.Queue()  # the bridge reads no results
    watch.subscribe(t.all("access/+/result"), lambda m: answers.put(json.loads(m.payload)))
    watch.start(timeout=30)
    panel = secured.bus("panel1")  # the hostile one: a door panel at d1
    panel.start(timeout=30)
    bridge = secured.bus("bridge1")  # serves d1 and d2: its readers at both must keep working
    bridge.start(timeout=30)
    try:
        assert not refused_at_d1(secured, panel, arrivals), "before: requests reach the core"
        swipes = []
        while not _quarantined(core):
            for _ in range(2000):
                junk = AccessRequest(new_id(), "d1", "pin", "999999", time.time(), "flood")
                panel.publish(t.panel_access_request("d1"), encode(junk), qos=0)
            for door in ("d1", "d2"):  # the flooded door's own reader, and the other door's
                swipe = AccessRequest(new_id(), door, "card", "10001", time.time(), "reader")
                bridge.publish(t.access_request(door), encode(swipe))
                swipes.append(swipe.id)
            assert len(swipes) < 400, "no quarantine after 400,000 junk requests"
        while (alarm := alarms.get(timeout=WAIT))["data"]["kind"] != "quarantine":  # type: ignore[index]
            pass
        assert alarm["door_id"] == "d1"
        # Only the user that may write d1's panel topic: the panel, not the bridge whose reader
        # shares the door, never the core.
        assert alarm["data"]["devices"] == ["panel1"]  # type: ignore[index]
        logged = core.store.events(types=["device.quarantined"])
        assert logged and logged[-1].data["devices"] == ["panel1"]

        # Mosquitto rereads its files on SIGHUP, a moment later: wait until it refuses.
        while not refused_at_d1(secured, panel, arrivals):
            pass
        assert refused_at_d1(secured, panel, arrivals)
        # Every swipe at the bridge's readers is answered, during the flood and after, at the
        # flooded door too.
        for door in ("d1", "d2"):
            after = AccessRequest(new_id(), door, "card", "10001", time.time(), "reader")
            bridge.publish(t.access_request(door), encode(after))
            swipes.append(after.id)
        answered: dict[object, object] = {}
        while not set(swipes) <= set(answered):
            a = answers.get(timeout=WAIT)
            answered[a["request_id"]] = a["granted"]
        assert {i: answered[i] for i in swipes} == {i: True for i in swipes}

        # The junk the broker had already passed on is drained now (the last swipe was behind
        # it); two more checks see no new flood, so a release is not undone by old junk.
        watch_ext = next(e for e in core.extensions if isinstance(e, QuarantineWatch))
        with watch_ext.checks:
            seen = watch_ext.checked
            assert watch_ext.checks.wait_for(lambda: watch_ext.checked >= seen + 2, WAIT)
        rc, out, err = secured.cli("devices", "list", "--json")
        assert rc == 0, err
        held = {d["name"]: d["quarantined_at"] for d in json.loads(out)}
        assert held["panel1"] == ["d1"] and held["bridge1"] == [] and held["core"] == []

        rc, out, err = secured.cli("devices", "release", "panel1", "--by", "officer 1024")
        assert rc == 0, err
        while refused_at_d1(secured, panel, arrivals):
            pass  # until Mosquitto has reread the files
        released = core.store.events(types=["device.released"])
        assert [e.data["device"] for e in released[-1:]] == ["panel1"]
        assert released[-1].data["by"] == "officer 1024"
        rc, _, err = secured.cli("devices", "release", "panel1")
        assert rc == 2 and "not in quarantine" in err
    finally:
        for b in (panel, bridge, watch):
            b.stop()


def _quarantined(core: Core) -> bool:
    return any(isinstance(e, QuarantineWatch) and e.quarantined for e in core.extensions)
