"""The log of a door decision names who sent the request as the topic proves it, not only what
the request says of itself.

A door's access requests come on three topics, each writable by one kind of sender only (the
door's reader, its panel, the face service: ``compound.protocol.access_channels``). The log kept
the request's own ``source``, which its sender chooses: a panel taken over could have its PIN
tries logged as the reader's keypad. The core now logs the channel the request came on as well.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from compound.app.wiring import core_features
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.ports import Message
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.services.core import Core
from compound.store.db import Store
from tests.compound.test_api_bounds import QuietBus


@pytest.fixture
def core(store: Store, clock: ManualClock) -> Iterator[Core]:
    store.add_door("d1", "Entrance", ["3"])
    core = Core(store, QuietBus(), clock, Config(), features=core_features)  # type: ignore[arg-type]
    core.start()
    yield core
    core.stop()


def logged(core: Core, request_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for e in core.store.events(types=["access.denied", "access.granted"], limit=1000):
            if e.data.get("request_id") == request_id:
                return dict(e.data)
        time.sleep(0.01)
    raise AssertionError(f"request {request_id} was never logged")


@pytest.mark.parametrize(
    ("topic", "sender"),
    [("panel_access_request", "panel"), ("access_request", "reader")],
)
def test_the_log_names_the_channel_a_request_came_on(
    core: Core, clock: ManualClock, topic: str, sender: str
) -> None:
    req = AccessRequest(new_id(), "d1", "pin", "314159", clock.now(), source="reader-keypad")
    core.on_access_request(Message(getattr(core.topics, topic)("d1"), encode(req)))
    data = logged(core, req.id)
    assert data["channel"] == sender and data["source"] == "reader-keypad"
