"""The wall's zones view model on the MQTT gateway, against the real core on a real Mosquitto,
without a window: showing the view does not wait for the broker on the UI thread (the test's
thread here), the list is read only once the broker has confirmed the subscriptions, and a
zone's state published after the view is shown reaches it.

The gateway's bus network thread is held in a message handler while the view is shown, so no
SUBACK can reach the gateway before ``start()`` returns."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import pytest

from tests.ui.conftest import Site
from ui.gateway import MqttGateway
from ui.i18n import Strings
from ui.viewmodels.officer_zones import ZoneBoard

pytestmark = [pytest.mark.ui, pytest.mark.integration]

WAIT = 30.0  # a guard against a hang, not a measure: each wait ends on an event


def report(zone: str, state: str = "normal") -> dict[str, Any]:
    return {"zone": zone, "name": zone, "kind": "perimeter", "state": state, "at": 0.0}


def test_showing_the_zones_does_not_wait_for_the_broker(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    bridge = site.bus("bridge1")
    bridge.publish(site.topics.zone_state("bridge1", "east-beam"), report("east-beam"), retain=True)
    ui_thread: queue.Queue[Callable[[], None]] = queue.Queue()  # what the UI thread would run
    gw = MqttGateway(site.bus_config, site.topics, "ui-officer-test", dispatch=ui_thread.put)
    gw.start()
    try:
        assert gw.bus.wait_connected(WAIT)

        def run_ui_until(cond: Callable[[], bool], what: str) -> None:
            while not cond():
                try:
                    ui_thread.get(timeout=WAIT)()
                except queue.Empty:
                    raise AssertionError(
                        f"nothing came for the UI thread: waiting for {what}"
                    ) from None

        # The gateway's network thread held in a handler: SUBACKs wait until it is let go.
        caught, let_go = threading.Event(), threading.Event()

        def hold(_msg: Any) -> None:
            caught.set()
            let_go.wait(WAIT)

        gw.bus.subscribe(site.topics.all("test/hold"), hold)
        bridge.publish(site.topics.all("test/hold"), b"hold")
        assert caught.wait(WAIT), "the hold message reached the gateway"

        # Who subscribes, on which thread, and when the list is asked for.
        happened: list[str] = []
        callers: list[int] = []
        subscribing = threading.Event()
        subscribe, request = gw.bus.subscribe, gw.bus.request

        def recorded_subscribe(topic_filter: str, handler: Any, qos: int = 1) -> None:
            callers.append(threading.get_ident())
            subscribing.set()
            subscribe(topic_filter, handler, qos)
            happened.append("subscribed " + topic_filter.removeprefix(site.topics.root + "/"))

        def recorded_request(method: str, params: Any = None, timeout: float = 5.0) -> Any:
            happened.append("asked " + method)
            return request(method, params, timeout)

        monkeypatch.setattr(gw.bus, "subscribe", recorded_subscribe)
        monkeypatch.setattr(gw.bus, "request", recorded_request)

        board = ZoneBoard(gw, Strings("en"), lambda: None)
        board.start()  # the view shown: back while no SUBACK can reach the gateway
        assert subscribing.wait(WAIT), "the subscription was made"
        assert threading.get_ident() not in callers, "the UI thread waited for the broker"

        let_go.set()
        run_ui_until(lambda: board.total is not None, "the list")
        assert happened[:4] == [
            "subscribed zone/+/+/state",
            "subscribed events/zone.armed",
            "subscribed events/zone.disarmed",
            "asked zone.list",
        ]
        assert threading.get_ident() not in callers
        run_ui_until(lambda: ("bridge1", "east-beam") in board.zones, "the retained zone")

        # A trip reported after the view is shown reaches it, the list not read again.
        loads = board._load
        tripped = report("west-fence", "alarm")
        bridge.publish(site.topics.zone_state("bridge1", "west-fence"), tripped, retain=True)
        run_ui_until(
            lambda: board.zones.get(("bridge1", "west-fence"), {}).get("state") == "alarm",
            "the trip shown",
        )
        assert board.rows()[0]["zone"] == "west-fence" and board._load == loads
        board.stop()
    finally:
        gw.stop()
