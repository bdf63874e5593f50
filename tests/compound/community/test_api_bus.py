"""The community extension inside a running core on a real Mosquitto: the UI's method names
answer over the bus, the door panels are told retained when the notices change and ask for
their door's, and alerts fire from live events."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import ApiError, Bus, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.store.db import Store


@pytest.fixture
def core(live_store: Store, mosquitto: Mosquitto, make_bus: Callable[..., Bus]) -> Iterator[Core]:
    live_store.add_unit("3-2-1501", occupants=2)
    live_store.add_door("b3", "Building 3", ["3"])
    bus = make_bus(mosquitto.port, "core", start=False)
    c = build_core(live_store, bus, live_store.clock, Config())
    c.start()
    bus.start()
    yield c
    c.stop()


@pytest.mark.integration
def test_api_methods_notices_and_live_alerts(
    core: Core, mosquitto: Mosquitto, make_bus: Callable[..., Bus], topics: Topics
) -> None:
    ui = make_bus(mosquitto.port, "ui-officer")
    r = ui.request(
        "tenant.register",
        {
            "name": "李四",
            "unit": "3-2-1501",
            "id_number": "110101199001011234",
            "lease_end": "2099-01-01",
        },
    )
    assert r["layer"] == "watch"
    tenants = ui.request("tenant.list")
    assert tenants["total"] == 1 and tenants["items"][0]["id_number"] == "110***********1234"
    due = ui.request("visit.due", {"within_days": 100, "size": 10})
    assert due["items"][0]["person_id"] == r["id"] and due["size"] == 10
    with pytest.raises(ApiError, match="unknown tenant layer"):
        ui.request("tenant.set_layer", {"person": r["id"], "layer": "bogus"})
    assert len(ui.request("stats.hourly", {"hours": 24})) == 24

    # A door panel that connects after the notice was posted is told at once (retained) that
    # the notices changed, and asks for its door's: the topic carries no notice itself.
    ui.request("notice.post", {"text": "停水通知", "valid_until": time.time() + 3600, "by": "li"})
    got: list[Message] = []
    seen = threading.Event()

    def on_notice(m: Message) -> None:
        got.append(m)
        seen.set()

    panel = make_bus(mosquitto.port, "panel-b3", start=False)
    panel.subscribe(topics.notice, on_notice)
    panel.start()
    assert seen.wait(30)
    fence = json.loads(got[-1].payload)
    assert got[-1].retain and set(fence) == {"changed"} and "停水" not in got[-1].payload.decode()
    listed = panel.request("notice.list", {"door": "b3", "active": True})
    assert [n["text"] for n in listed] == ["停水通知"]
    # another notice changes the fence, and the door's list has both, newest first
    seen.clear()
    until = time.time() + 3600
    ui.request(
        "notice.post", {"text": "3号楼电梯检修", "valid_until": until, "buildings": "3", "by": "li"}
    )
    assert seen.wait(30)
    assert json.loads(got[-1].payload)["changed"] != fence["changed"]
    listed = panel.request("notice.list", {"door": "b3", "active": True})
    assert [n["text"] for n in listed] == ["3号楼电梯检修", "停水通知"]

    # five refused cards at one door raise one alert, visible through alarm.list
    for _ in range(5):
        core.store.append_event("access.denied", door_id="b3", data={"reason": "unknown"})
    alarms = ui.request("alarm.list", {"open": True})
    assert [a["kind"] for a in alarms] == ["failed_attempts"]
    ui.request("alarm.ack", {"id": alarms[0]["id"], "by": "officer"})
    assert ui.request("alarm.list", {"open": True}) == []
    assert ui.request("passages.search", {"name": "李"})["people"][0]["passages"] == []
