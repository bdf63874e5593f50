"""A door panel taken over, with its own broker credential, on a real Mosquitto with the shipped
config: it cannot open its door by asserting a face, learns no person id and no hint of which
ids exist, and its worst payloads on every topic it may write leave the core answering.

Judged with fences, never a sleep: a later request from the same client, whose answer shows the
earlier messages were handled."""

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
from compound.domain.clock import SystemClock
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.services.core import Core
from compound.store.db import Store
from tests.fuzz.oversized import OVERSIZED
from tests.security.conftest import SecuredBroker
from tests.security.test_api_actor import Seen

pytestmark = [pytest.mark.integration]

# Up to the broker's max_packet_size (1 MiB): a larger one only costs the panel its connection.
HOSTILE = {n: b() for n, b in OVERSIZED.items() if len(b()) < 1 << 20}


@pytest.fixture(scope="module")
def site(secured: SecuredBroker) -> Iterator[tuple[Core, Seen, Bus, dict[str, int]]]:
    work = Path(tempfile.mkdtemp(prefix="compound-panel-"))
    store = Store(work / "compound.db", SystemClock(), work / "keys")
    store.add_unit("3-2-1501")
    store.add_unit("1-1-0101")
    store.add_door("d1", "Building 3 entrance 2", ["3-2"])
    people = {
        "served": store.add_person("张伟", "3-2-1501", "owner"),
        "elsewhere": store.add_person("李娜", "1-1-0101", "owner"),
    }
    store.add_card(people["elsewhere"], "20002")
    store.set_pin(people["elsewhere"], "482913")
    core_bus = secured.bus("core")
    core = build_core(store, core_bus, store.clock, Config())
    core.start()
    core_bus.start(timeout=10)
    watch = secured.bus("watch")
    seen = Seen()
    watch.subscribe(secured.topics.all("#"), seen)
    watch.start(timeout=10)
    panel = secured.bus("panel1")
    heard = Seen()
    panel.subscribe(secured.topics.access_result("d1"), heard)
    panel.start(timeout=10)
    yield core, heard, panel, people
    panel.stop()
    watch.stop()
    core.stop()
    core_bus.stop()
    store.close()


def ask(panel: Bus, heard: Seen, kind: str, value: str) -> dict[str, object]:
    """A request on the panel's own door topic, and the result the panel reads for it."""
    req = AccessRequest(new_id(), "d1", kind, value, time.time(), "panel")
    panel.publish(panel.topics.panel_access_request("d1"), encode(req), qos=1)
    assert heard.wait_for(lambda m: req.id.encode() in m.payload), f"no result for {kind}"
    return next(json.loads(m.payload) for m in heard.since(0) if req.id.encode() in m.payload)


def test_a_panel_cannot_open_its_door_with_a_face_claim(
    secured: SecuredBroker, site: tuple[Core, Seen, Bus, dict[str, int]]
) -> None:
    core, heard, panel, people = site
    t = secured.topics
    refused = core.counters["access.kind_not_allowed"]
    commands = core.counters["command.unlock"]
    face = AccessRequest(new_id(), "d1", "face", str(people["served"]), time.time(), "panel")
    panel.publish(t.panel_access_request("d1"), encode(face), qos=1)  # its own: the core refuses
    panel.publish(t.face_access_request("d1"), encode(face), qos=1)  # the broker drops it
    fence = ask(panel, heard, "pin", "999999")
    assert fence["granted"] is False
    assert core.counters["access.kind_not_allowed"] == refused + 1
    assert core.counters["command.unlock"] == commands
    assert not any(face.id.encode() in m.payload for m in heard.since(0))
    assert not [e for e in core.store.events(limit=100) if e.data.get("request_id") == face.id]


def test_a_panel_cannot_assert_a_card_it_overheard(
    secured: SecuredBroker, site: tuple[Core, Seen, Bus, dict[str, int]]
) -> None:
    """A card is read by the door's reader and comes from its bridge; a panel taken over that
    learned a card number can neither send it on its own topic nor on the reader's."""
    core, heard, panel, _ = site
    t = secured.topics
    refused = core.counters["access.kind_not_allowed"]
    card = AccessRequest(new_id(), "d1", "card", "20002", time.time(), "panel")
    panel.publish(t.panel_access_request("d1"), encode(card), qos=1)  # the core refuses
    panel.publish(t.access_request("d1"), encode(card), qos=1)  # the reader's: the broker drops
    assert ask(panel, heard, "pin", "999998")["granted"] is False  # the fence
    assert core.counters["access.kind_not_allowed"] == refused + 1
    assert not any(card.id.encode() in m.payload for m in heard.since(0))
    assert not [e for e in core.store.events(limit=100) if e.data.get("request_id") == card.id]


def test_what_a_panel_reads_names_no_person_and_hides_who_exists(
    site: tuple[Core, Seen, Bus, dict[str, int]],
) -> None:
    core, heard, panel, _ = site
    unknown = ask(panel, heard, "pin", "999997")
    not_here = ask(panel, heard, "pin", "482913")  # a real PIN, of a flat this door not serves
    assert unknown["reason"] == not_here["reason"] == "unknown credential"
    for result in (unknown, not_here):
        assert result.get("person_id") is None
    # the log keeps the true reason, for the officer
    logged = core.store.events(types=["access.denied"], newest_first=True, limit=1)[0]
    assert logged.data["reason"] == "door not serving this person"


def test_a_panels_worst_payloads_leave_the_core_answering(
    secured: SecuredBroker, site: tuple[Core, Seen, Bus, dict[str, int]]
) -> None:
    core, heard, panel, _ = site
    t = secured.topics
    writable = [
        t.panel_access_request("d1"),
        t.intercom_call("d1"),
        t.api("panel1", "door.list"),
        t.api("panel1", "notice.list"),
    ]
    for topic in writable:
        for payload in HOSTILE.values():
            panel.publish(topic, payload, qos=1)
    assert ask(panel, heard, "pin", "999996")["granted"] is False
    assert [d["id"] for d in panel.request("door.list", timeout=15)["items"]] == ["d1"]
    assert core.health() is None
    assert core.bus.network_alive
