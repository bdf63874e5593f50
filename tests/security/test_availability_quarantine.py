"""A device that floods its own availability topic is quarantined at the broker: the core records
it and raises an alarm saying what flooded, and Mosquitto (the shipped drop-in config) refuses
that device's availability from then on, so the flood no longer reaches the core's network
thread, while a card at another door is answered. The device is not cut off: it still connects
leaving its last will there (Mosquitto drops the will when it falls due, as any refused publish).
``compound devices release`` gives the rights back.

How "refused" is seen: fences. The broker drops a refused publish without a word, so the flooder
sends a marked message and then one on a topic it may still write; one client's publishes reach
a subscriber in order, so once the fence is in, a marked message not seen before it was dropped.
At the core the fence is a PIN typed at the flooder's panel: once its result is out, the core's
network thread has handled everything the panel sent before it.
"""

from __future__ import annotations

import json
import queue
import subprocess
import time

import pytest

from compound.adapters.mqtt import Bus
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.quarantine import AVAILABILITY
from compound.services.core import Core
from compound.services.device_roster import DeviceRoster
from compound.services.quarantine import QuarantineWatch
from tests.security.conftest import SecuredBroker
from tests.security.test_flood_quarantine import WAIT, Arrivals, core

__all__ = ["core"]  # the fixture, shared with the access-request flood's test

pytestmark = pytest.mark.integration


def refused(secured: SecuredBroker, panel: Bus, arrivals: Arrivals) -> bool:
    """One marked availability from the panel and a fence: was the availability dropped?"""
    marked = f"online-{new_id()}".encode()
    panel.publish(secured.topics.availability("panel1"), marked, qos=1)
    fence = f"fence-{new_id()}".encode()
    panel.publish(secured.topics.intercom_call("d1"), fence, qos=1)
    return marked not in arrivals.until(fence)


def core_fence(secured: SecuredBroker, panel: Bus, results: queue.Queue[dict[str, object]]) -> None:
    """A PIN at the panel, and its result: the core has handled all the panel sent before."""
    pin = AccessRequest(new_id(), "d1", "pin", "424242", time.time(), "fence")
    panel.publish(secured.topics.panel_access_request("d1"), encode(pin), qos=1)
    while results.get(timeout=WAIT)["request_id"] != pin.id:
        pass


def flood(secured: SecuredBroker, panel: Bus, n: int) -> None:
    topic = secured.topics.availability("panel1")
    for i in range(n):
        panel.publish(topic, b"offline" if i % 2 else b"online", qos=0)


def connects_with_will(secured: SecuredBroker) -> bool:
    """Can the panel's user connect leaving its will on its availability topic, as our bus
    client does? (mosquitto_pub says at once whether the broker took the connection.)"""
    t = secured.topics
    run = subprocess.run(
        ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(secured.broker.port),
         "-u", "panel1", "-P", secured.passwords["panel1"], "-i", f"probe-{new_id()}",
         "--will-topic", t.availability("panel1"), "--will-payload", "offline",
         "-t", t.intercom_call("d1"), "-m", "probe", "-q", "1"],
        capture_output=True, text=True, timeout=WAIT,
    )  # fmt: skip
    return run.returncode == 0


def test_a_device_flooding_its_availability_is_quarantined_for_it(
    secured: SecuredBroker, core: Core
) -> None:
    t = secured.topics
    watch = secured.bus("watch")  # a second core-role user: it may read everything
    arrivals = Arrivals()
    watch.subscribe(t.availability("panel1"), arrivals)
    watch.subscribe(t.intercom_call("d1"), arrivals)
    alarms: queue.Queue[dict[str, object]] = queue.Queue()
    watch.subscribe(t.events("alarm.raised"), lambda m: alarms.put(json.loads(m.payload)))
    results: queue.Queue[dict[str, object]] = queue.Queue()
    watch.subscribe(t.all("access/+/result"), lambda m: results.put(json.loads(m.payload)))
    watch.start(timeout=30)
    panel = secured.bus("panel1")  # the hostile one: a door panel at d1
    panel.start(timeout=30)
    bridge = secured.bus("bridge1")  # its reader at d2 must keep working
    bridge.start(timeout=30)
    roster = next(e for e in core.extensions if isinstance(e, DeviceRoster))
    watch_ext = next(e for e in core.extensions if isinstance(e, QuarantineWatch))
    try:
        assert not refused(secured, panel, arrivals), "before: its availability gets through"
        assert connects_with_will(secured)
        while not any(door == AVAILABILITY for door, _ in watch_ext.quarantined):
            flood(secured, panel, 500)
        while (alarm := alarms.get(timeout=WAIT))["data"]["kind"] != "quarantine":  # type: ignore[index]
            pass
        assert alarm["door_id"] is None
        assert alarm["data"]["devices"] == ["panel1"]  # type: ignore[index]
        assert "availability messages a second from panel1" in alarm["data"]["message"]  # type: ignore[index]
        logged = core.store.events(types=["device.quarantined"])
        assert logged[-1].data["devices"] == ["panel1"]
        assert logged[-1].data["door"] == AVAILABILITY

        while not refused(secured, panel, arrivals):
            pass  # until Mosquitto has reread the files
        # The flood no longer reaches the core: its count stands still across a flood, up to a
        # PIN the panel sends after it (its access requests are still its own).
        core_fence(secured, panel, results)
        before = roster.seen["panel1"]
        flood(secured, panel, 2000)
        core_fence(secured, panel, results)
        assert roster.seen["panel1"] == before
        # A card at the other door is answered.
        swipe = AccessRequest(new_id(), "d2", "card", "10001", time.time(), "reader")
        bridge.publish(t.access_request("d2"), encode(swipe))
        while (answer := results.get(timeout=WAIT))["request_id"] != swipe.id:
            pass
        assert answer["granted"] is True
        # Not cut off: it connects leaving its will where it may no longer write.
        assert connects_with_will(secured)
        rc, out, err = secured.cli("devices", "list", "--json")
        assert rc == 0, err
        held = {d["name"]: d["quarantined_at"] for d in json.loads(out)}
        assert held["panel1"] == [AVAILABILITY] and held["bridge1"] == []

        rc, out, err = secured.cli("devices", "release", "panel1", "--by", "officer 1024")
        assert rc == 0, err
        while refused(secured, panel, arrivals):
            pass  # until Mosquitto has reread the files
        released = core.store.events(types=["device.released"])
        assert [e.data["device"] for e in released[-1:]] == ["panel1"]
    finally:
        for b in (panel, bridge, watch):
            b.stop()
