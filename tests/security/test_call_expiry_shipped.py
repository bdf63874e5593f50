"""An answered intercom call expires, on the shipped broker config with the devices' own
credentials: a door panel dials a flat, the flat's indoor station answers, and once the talk
time is over the station's "unlock" opens nothing (within it, it opens the calling door).

The core runs on a ManualClock set to the wall time, so the talk time passes at once; the
intercom's own timer thread ends the call. Judged with fences (the call's "ended" state, the
core's count of refused replies), never a sleep."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.mqtt import Bus
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.protocol.messages import new_id
from compound.services.core import Core
from compound.store.db import Store
from tests.firmware_bridge.conftest import wait_for
from tests.security.conftest import SecuredBroker
from tests.security.test_api_actor import Seen

pytestmark = [pytest.mark.integration]

UNIT = "3-2-1501"  # st1's unit in the secured broker's devices


@pytest.fixture(scope="module")
def site(secured: SecuredBroker) -> Iterator[tuple[Core, ManualClock, Seen, Bus, Bus]]:
    work = Path(tempfile.mkdtemp(prefix="compound-call-"))
    clock = ManualClock(time.time())
    store = Store(work / "compound.db", clock, work / "keys")
    cfg = Config()
    store.add_unit(UNIT)
    store.add_door("d1", "Building 3 entrance 2", ["3-2"])
    store.add_station("st1", UNIT, (cfg.intercom.desk, cfg.intercom.officer))
    core_bus = secured.bus("core")
    core = build_core(store, core_bus, clock, cfg)
    core.start()
    core_bus.start(timeout=10)
    seen = Seen()
    watch = secured.bus("watch")
    watch.subscribe(secured.topics.all("#"), seen)
    watch.start(timeout=10)
    panel, station = secured.bus("panel1"), secured.bus("st1")
    panel.start(timeout=10)
    station.start(timeout=10)
    yield core, clock, seen, panel, station
    for b in (station, panel, watch):
        b.stop()
    core.stop()
    core_bus.stop()
    store.close()


def state_of(seen: Seen, topic: str, state: str) -> bool:
    return seen.wait_for(lambda m: m.topic == topic and json.loads(m.payload)["state"] == state)


def answered_call(secured: SecuredBroker, site: tuple[Core, ManualClock, Seen, Bus, Bus]) -> str:
    core, clock, seen, panel, station = site
    t = secured.topics
    cid = new_id()
    dial = {"action": "dial", "call_id": cid, "unit": UNIT, "at": clock.now()}
    panel.publish(t.intercom_call("d1"), dial, qos=1)
    assert seen.wait_for(lambda m: m.topic == t.intercom_ring(UNIT) and cid.encode() in m.payload)
    station.publish(t.intercom_reply("st1"), {"call_id": cid, "action": "answer"}, qos=1)
    assert state_of(seen, t.intercom_call_state("d1", cid), "answered")
    return cid


def test_within_the_talk_time_the_station_opens_the_calling_door(
    secured: SecuredBroker, site: tuple[Core, ManualClock, Seen, Bus, Bus]
) -> None:
    _, _, seen, _, station = site
    t = secured.topics
    cid = answered_call(secured, site)
    mark = seen.mark()
    station.publish(t.intercom_reply("st1"), {"call_id": cid, "action": "unlock"}, qos=1)
    assert seen.wait_for(lambda m: m.topic == t.door_cmd("d1") and m in seen.since(mark))


def test_after_the_talk_time_the_stations_unlock_opens_nothing(
    secured: SecuredBroker, site: tuple[Core, ManualClock, Seen, Bus, Bus]
) -> None:
    core, clock, seen, _, station = site
    t = secured.topics
    cid = answered_call(secured, site)
    clock.advance(core.config.intercom.talk_timeout_s + 1.0)
    assert state_of(seen, t.intercom_call_state("d1", cid), "ended")  # the timer ended it
    mark = seen.mark()
    refused = sum(v for k, v in core.counters.items() if k.startswith("intercom."))
    station.publish(t.intercom_reply("st1"), {"call_id": cid, "action": "unlock"}, qos=1)
    wait_for(
        lambda: sum(v for k, v in core.counters.items() if k.startswith("intercom.")) > refused,
        what="the core refusing the late unlock",
    )
    assert [m for m in seen.since(mark) if m.topic == t.door_cmd("d1")] == []
