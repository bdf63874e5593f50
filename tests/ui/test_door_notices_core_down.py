"""A door panel started while the core is down, on a real Mosquitto with the real bus gateway:
its questions go unanswered, the banner tells residents to use their card, and it keeps asking
(after 2 s, 4 s, ... up to 30 s) until the core, started later, answers; then the notices of its
door show and the banner goes. The word the core publishes when it starts would also make the
panel ask, within its spread window: that window is set far out here, so that only the backoff
can bring the list (the window itself: tests/ui/test_door_notices.py)."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig
from compound.app.wiring import build_core
from compound.config import Config
from compound.protocol.topics import Topics
from compound.services import notices
from compound.store.db import Store
from ui.gateway import MqttGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM

pytestmark = [pytest.mark.integration]

DOOR = "b3-e2"


@pytest.fixture
def gateway(mosquitto: Mosquitto, topics: Topics) -> Iterator[tuple[MqttGateway, queue.Queue]]:
    """The panel's gateway, its answers handed to the test's thread as to the UI thread."""
    inbox: queue.Queue[Callable[[], None]] = queue.Queue()
    gw = MqttGateway(
        BusConfig(port=mosquitto.port), topics, "ui-door-b3", dispatch=inbox.put, timeout=1.0
    )
    gw.start()
    yield gw, inbox
    gw.stop()


def test_a_panel_started_while_the_core_is_down_asks_until_the_core_answers(
    live_store: Store,
    mosquitto: Mosquitto,
    make_bus: Callable[..., Bus],
    gateway: tuple[MqttGateway, queue.Queue],
) -> None:
    live_store.add_unit("3-2-1501")
    live_store.add_unit("1-1-0101")
    live_store.add_door(DOOR, "3号楼2单元", ["3-2"])
    until = time.time() + 3600
    for text, building in (("3号楼周六停水", "3"), ("1号楼电梯检修", "1")):
        notice = {"text": text, "valid_until": until, "by": "o", "buildings": building}
        notices.post(live_store, notice)
    gw, inbox = gateway
    vm = DoorPanelVM(gw, Strings("zh"), live_store.clock, DOOR, notice_spread_s=600.0)
    vm.load()

    def pump_until(cond: Callable[[], bool], timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                inbox.get(timeout=0.1)()
            except queue.Empty:
                pass
            vm.tick()
            if cond():
                return True
        return False

    assert pump_until(lambda: vm.banner == "服务暂不可用，请刷卡", 30), "no banner while unanswered"
    assert vm.notice_text == "暂无通知"
    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(live_store, core_bus, live_store.clock, Config())
    core.start()
    try:
        core_bus.start()
        shown = pump_until(lambda: [n["text"] for n in vm.notices] == ["3号楼周六停水"], 90)
        assert shown, f"the panel shows {vm.notices!r}"
        assert pump_until(lambda: vm.banner == "", 10)
    finally:
        core.stop()
