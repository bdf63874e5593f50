"""Visitor passes from the indoor station, on a real Mosquitto with the shipped config and the
station's own credentials: the station issues a pass for its own unit (the unit comes from its
registration, never from the request), is refused for another unit, the pass opens the doors
serving that unit for its number of uses and no other door, and the resident and the manager
can revoke it. Judged by the core's answers and the doors' results, never a sleep."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from compound.adapters.mqtt import ApiError, Bus
from compound.protocol.messages import AccessRequest, AccessResult, encode, new_id
from compound.services.core import Core
from tests.security.conftest import SecuredBroker, devices_store, running_core
from tests.security.test_api_actor import Seen

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def site(secured: SecuredBroker) -> Iterator[tuple[Core, Seen, dict[str, Bus]]]:
    """The core on the database where `compound devices add` registered the station st1 for
    3-2-1501; a door d1 serving building 3 entrance 2, a door d3 serving building 4."""
    store = devices_store(secured)
    store.add_unit("3-2-1501")
    store.add_unit("3-2-1502")
    store.add_unit("4-1-101")
    store.add_door("d1", "Building 3 entrance 2", ["3-2"])
    store.add_door("d3", "Building 4", ["4"])
    with running_core(secured, store) as core:
        seen = Seen()
        buses = {n: secured.bus(n) for n in ("watch", "st1", "console1", "panel1")}
        buses["watch"].subscribe(secured.topics.all("access/+/result"), seen)
        for b in buses.values():
            b.start(timeout=10)
        yield core, seen, buses
        for b in buses.values():
            b.stop()


def show(secured: SecuredBroker, seen: Seen, bus: Bus, door: str, token: str) -> AccessResult:
    """A visitor shows the pass's QR code at ``door``; the core's answer to that request."""
    req = AccessRequest(new_id(), door, "pass", token, time.time(), "qr")
    bus.publish(secured.topics.panel_access_request(door), encode(req))
    assert seen.wait_for(lambda m: req.id.encode() in m.payload), f"no answer at {door}"
    (msg,) = [m for m in seen.since(0) if req.id.encode() in m.payload]
    return AccessResult.decode(msg.payload)


def test_a_station_issues_a_pass_for_its_own_unit_that_opens_its_doors_for_its_uses(
    secured: SecuredBroker, site: tuple[Core, Seen, dict[str, Bus]]
) -> None:
    core, seen, b = site
    got = b["st1"].request("pass.station_issue", {"visitor": "王五", "hours": 2, "uses": 2})
    assert got["unit"] == "3-2-1501" and got["uses"] == 2
    assert got["valid_until"] == pytest.approx(time.time() + 7200, abs=60)
    token = got["token"]
    (logged,) = [
        json.loads(r["data"])
        for r in core.store.query("SELECT data FROM events WHERE type = 'pass.station_issued'")
    ]
    assert logged["actor"] == "st1" and logged["unit"] == "3-2-1501"
    assert token not in json.dumps(core.store.query("SELECT * FROM credentials"))
    # The doors serving the unit open for it (the panel's reader, a door of another building).
    assert show(secured, seen, b["panel1"], "d1", token).granted
    assert not show(secured, seen, b["watch"], "d3", token).granted
    assert show(secured, seen, b["panel1"], "d1", token).granted
    spent = show(secured, seen, b["panel1"], "d1", token)  # its two uses are spent
    assert (spent.granted, spent.reason) == (False, "revoked")
    listed = b["st1"].request("pass.station_list", {})["passes"]
    assert [(p["visitor"], p["uses"], p["max_uses"]) for p in listed][:1] == [("王五", 2, 2)]


def test_a_station_cannot_issue_for_another_unit_nor_a_console_as_a_station(
    secured: SecuredBroker, site: tuple[Core, Seen, dict[str, Bus]]
) -> None:
    core, seen, b = site
    before = len(core.store.query("SELECT 1 FROM station_passes"))
    with pytest.raises(ApiError, match="for unit 3-2-1501 only"):
        b["st1"].request("pass.station_issue", {"visitor": "赵六", "unit": "3-2-1502"})
    with pytest.raises(ApiError, match="only an indoor station"):
        b["console1"].request("pass.station_issue", {"visitor": "赵六"})
    with pytest.raises(ApiError, match="up to 48 hours"):
        b["st1"].request("pass.station_issue", {"visitor": "赵六", "hours": 240})
    with pytest.raises(ApiError, match="1 to 10 times"):
        b["st1"].request("pass.station_issue", {"visitor": "赵六", "uses": 50})
    assert len(core.store.query("SELECT 1 FROM station_passes")) == before


def test_the_resident_and_the_manager_revoke_passes(
    secured: SecuredBroker, site: tuple[Core, Seen, dict[str, Bus]]
) -> None:
    core, seen, b = site
    one = b["st1"].request("pass.station_issue", {"visitor": "孙七", "uses": 5})
    two = b["st1"].request("pass.station_issue", {"visitor": "周八", "uses": 5})
    assert b["st1"].request("pass.station_revoke", {"id": one["id"]})["revoked"] is True
    assert show(secured, seen, b["panel1"], "d1", one["token"]).reason == "revoked"
    assert b["console1"].request("pass.revoke", {"id": two["id"], "by": "王经理"})["revoked"]
    assert show(secured, seen, b["panel1"], "d1", two["token"]).reason == "revoked"
    by = [
        json.loads(r["data"])["by"]
        for r in core.store.query("SELECT data FROM events WHERE type = 'credential.revoked'")
    ]
    assert "station st1" in by and "王经理 (console1)" in by
    # A pass of a unit is not another station's, nor a card's to revoke as a pass.
    with pytest.raises(ApiError, match="no visitor pass"):
        b["console1"].request("pass.revoke", {"id": 999999})
