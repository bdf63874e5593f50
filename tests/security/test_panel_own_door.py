"""A door panel learns about its own door only, on a real Mosquitto with the shipped config and
the core reading the devices the CLI registered (the same database, as on the box).

The broker cannot look inside a request's parameters, but it holds each user to requests
under its own name (``api/<user>/<method>``), and the core takes the asker from that topic.
So the core knows a request comes from panel1, registered at door d1: ``door.show`` answers
for d1 and refuses d2 exactly as it refuses a door that does not exist, and ``door.list`` is d1
alone. A console and the officer wall still see every door.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from compound.adapters.mqtt import Bus
from compound.app import devices
from compound.ports import ACTOR, ApiError
from compound.services import notices
from compound.services.core import Core
from tests.security.conftest import SecuredBroker, devices_store, running_core

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def core(secured: SecuredBroker) -> Iterator[Core]:
    """The core on the database the devices were registered in, with a second door."""
    store = devices_store(secured)
    store.add_unit("3-2-1501")
    store.add_door("d1", "Building 3 entrance 2", ["3-2"])
    store.add_door("d2", "Building 3 entrance 1", ["3-2"])
    with running_core(secured, store) as core:
        yield core


@pytest.fixture
def ask(secured: SecuredBroker) -> Iterator[dict[str, Bus]]:
    """Started buses by user name, stopped after the test."""
    started: dict[str, Bus] = {}

    class Buses(dict[str, Bus]):
        def __missing__(self, name: str) -> Bus:
            bus = secured.bus(name)
            bus.start(timeout=30)  # a user just added is let in once the broker reloaded
            started[name] = self[name] = bus
            return bus

    yield Buses()
    for bus in started.values():
        bus.stop()


def test_a_panel_is_answered_for_its_own_door_and_refused_for_another(
    core: Core, ask: dict[str, Bus]
) -> None:
    panel = ask["panel1"]  # registered at d1
    own = panel.request("door.show", {"door": "d1"}, timeout=15)
    assert (own["id"], own["name"]) == ("d1", "Building 3 entrance 2")
    assert own["face_challenge"] is True  # no face rule in this config: faces may be asked
    before = core.counters["api.panel_other_door"]
    refusals = []
    # Another door, that door with a forged asker (the server puts the topic's user there),
    # and a door that does not exist: all three refused in the same words.
    for params in ({"door": "d2"}, {"door": "d2", ACTOR: "console1"}, {"door": "d9"}):
        with pytest.raises(ApiError) as refused:
            panel.request("door.show", params, timeout=15)
        refusals.append(str(refused.value).replace(params["door"], "?"))
    assert refusals[0] == refusals[1] == refusals[2]
    assert "Building 3 entrance 1" not in refusals[0]
    assert core.counters["api.panel_other_door"] - before == 3
    listed = panel.request("door.list", {}, timeout=15)
    assert [d["id"] for d in listed["items"]] == ["d1"] and listed["total"] == 1
    assert panel.request("door.list", {"page": 2}, timeout=15)["items"] == []


def test_a_console_and_the_wall_may_ask_about_any_door(
    secured: SecuredBroker, core: Core, ask: dict[str, Bus]
) -> None:
    other = ask["console1"].request("door.show", {"door": "d2"}, timeout=15)
    assert other["name"] == "Building 3 entrance 1"
    rc, out, err = secured.cli(
        "devices", "add", "wall7", "--role", "wall", "--unit", "officer", "--json", "--by", "t"
    )
    assert rc == 0, err
    secured.passwords["wall7"] = json.loads(out)["password"]
    listed = ask["wall7"].request("door.list", {}, timeout=15)
    assert [d["id"] for d in listed["items"]] == ["d1", "d2"] and listed["total"] == 2


def test_a_panel_reads_its_own_doors_notices_showing_now_and_no_others(
    core: Core, ask: dict[str, Bus]
) -> None:
    """``notice.list`` holds a panel to its door as ``door.show`` does: without a door it is
    answered for its own, another door is refused in the words of a door that does not exist,
    and what has ended or been withdrawn is not read, whatever ``active`` says; of each notice
    it gets what it shows, not who posted it (the retained topic says only that they changed:
    tests/compound/community/test_api_bus.py)."""
    store, until = core.store, core.clock.now() + 86400
    store.add_unit("1-1-0101")
    for text, buildings in (("全体住户", ""), ("1号楼停水", "1"), ("3号楼电梯检修", "3")):
        notices.post(store, {"text": text, "valid_until": until, "by": "o", "buildings": buildings})
    gone = notices.post(store, {"text": "已撤下", "valid_until": until, "by": "o"})
    notices.withdraw(store, gone["id"], "o")
    panel = ask["panel1"]  # registered at d1, building 3
    own = ["3号楼电梯检修", "全体住户"]
    for params in ({}, {"door": "d1", "active": True}, {"active": False}, {"size": 200}):
        listed = panel.request("notice.list", params, timeout=15)
        assert [n["text"] for n in listed] == own
        assert all(set(n) == set(notices.PANEL_KEYS) for n in listed)  # not who posted it
    assert panel.request("notice.list", {"page": 2, "size": 1}, timeout=15)[0]["text"] == own[1]
    before = core.counters["api.panel_other_door"]
    refusals = []
    for params in ({"door": "d2"}, {"door": "d2", ACTOR: "console1"}, {"door": "d9"}):
        with pytest.raises(ApiError) as refused:
            panel.request("notice.list", {**params, "active": True}, timeout=15)
        refusals.append(str(refused.value).replace(params["door"], "?"))
    assert refusals[0] == refusals[1] == refusals[2]
    assert core.counters["api.panel_other_door"] - before == 3
    everything = ask["console1"].request("notice.list", {}, timeout=15)
    assert len(everything) == 4  # the console reads them all, the withdrawn one too
    other = ask["console1"].request("notice.list", {"door": "d2", "active": True}, timeout=15)
    assert [n["text"] for n in other] == own  # d2 serves building 3 too


def test_a_panel_whose_registration_was_revoked_is_refused_its_doors_notices(
    secured: SecuredBroker, core: Core, ask: dict[str, Bus]
) -> None:
    """The revocation is in the database while the panel's session is still up (the broker
    rereads its files a moment later, or failed to): the core answers that panel nothing, in
    words that say why, and no longer its door's notices or state; a console still reads them."""
    store, until = core.store, core.clock.now() + 86400
    posted = {"text": "3号楼停电检修", "valid_until": until, "by": "o", "buildings": "3"}
    notices.post(store, posted)
    rc, out, err = secured.cli(
        "devices", "add", "panel9", "--role", "panel", "--door", "d1", "--camera", "c9",
        "--json", "--by", "t",
    )  # fmt: skip
    assert rc == 0, err
    secured.passwords["panel9"] = json.loads(out)["password"]
    panel = ask["panel9"]
    assert "3号楼停电检修" in [n["text"] for n in panel.request("notice.list", {}, timeout=15)]
    devices.revoke(store, "panel9", "test")  # only the database: the session stays up
    before = core.counters["api.revoked_asker"]
    for method, params in (("notice.list", {"active": True}), ("door.show", {"door": "d1"})):
        with pytest.raises(ApiError) as refused:
            panel.request(method, params, timeout=15)
        assert "revoked" in str(refused.value) and "panel9" in str(refused.value)
    assert core.counters["api.revoked_asker"] - before == 2
    listed = ask["console1"].request("notice.list", {"door": "d1", "active": True}, timeout=15)
    assert "3号楼停电检修" in [n["text"] for n in listed]


def test_a_console_whose_registration_was_revoked_opens_no_door_from_afar(
    secured: SecuredBroker, core: Core, ask: dict[str, Bus]
) -> None:
    """Every method refuses a revoked device before it runs, not only the lists: a console
    revoked while its session is up asks for a remote open and gets the refusal, and no open is
    logged in its name; another console still opens the door."""
    rc, out, err = secured.cli(
        "devices", "add", "console8", "--role", "console", "--json", "--by", "t"
    )
    assert rc == 0, err
    secured.passwords["console8"] = json.loads(out)["password"]
    console = ask["console8"]
    opened = {"door": "d2", "reason": "送药上门", "by": "值班员"}
    assert console.request("door.unlock", opened, timeout=15)["command_id"]
    unlocks = len(core.store.events(types=["door.remote_unlock"]))
    devices.revoke(core.store, "console8", "test")  # only the database: the session stays up
    before = core.counters["api.revoked_asker"]
    with pytest.raises(ApiError) as refused:
        console.request("door.unlock", opened, timeout=15)
    assert "revoked" in str(refused.value) and "console8" in str(refused.value)
    assert core.counters["api.revoked_asker"] - before == 1
    assert len(core.store.events(types=["door.remote_unlock"])) == unlocks
    assert ask["console1"].request("door.unlock", opened, timeout=15)["command_id"]
    assert len(core.store.events(types=["door.remote_unlock"])) == unlocks + 1
