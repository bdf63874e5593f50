"""The wall's alarm zones viewmodel without a display: every zone read from the core a page of
at most 200 at a time, tripped / tampered / offline zones first, a zone's state message changing
that one zone without asking the list again, the core's arming events followed, arming sent
only with a card or PIN (never a name), and the core's refusals said in the screen's language;
hidden, it listens to nothing."""

from __future__ import annotations

from typing import Any

from compound.domain.model import InvalidInput
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.officer_zones import ZoneBoard

PIN = "482916"


def zone(i: int, state: str = "normal", kind: str = "perimeter", **kw: Any) -> dict[str, Any]:
    return {
        "zone": f"z{i:03d}",
        "name": f"Zone {i:03d}",
        "location": "",
        "kind": kind,
        "state": state,
        "trip": None,
        "at": 0.0,
        "bridge": f"bridge{i % 3}",
        "armed": True,
        "schedule": None,
        **kw,
    }


def listing(zones: list[dict[str, Any]]) -> Any:
    def page(p: dict[str, Any]) -> dict[str, Any]:
        size, n = int(p["size"]), int(p["page"])
        assert size <= 200
        return {"zones": zones[(n - 1) * size : n * size], "total": len(zones), "page": n}

    return page


def test_every_page_read_troubled_first_and_a_state_changes_one_zone() -> None:
    zones = [zone(i) for i in range(450)]
    zones[300] = zone(300, "alarm", trip={"id": "t", "at": 1_700_000_000.0})
    zones[7] = zone(7, "tamper")
    zones[9] = zone(9, "offline", armed=False)
    gw = LocalGateway({"zone.list": listing(zones)})
    changes: list[int] = []
    board = ZoneBoard(gw, Strings("en"), lambda: changes.append(1))
    board.start()
    assert [p["page"] for m, p in gw.requests if m == "zone.list"] == [1, 2, 3]
    assert len(board.zones) == board.total == 450
    first = [z["zone"] for z in board.rows()[:3]]
    assert first == ["z300", "z007", "z009"]
    c = board.counts()
    assert (c["alarm"], c["tamper"], c["offline"], c["disarmed"]) == (1, 1, 1, 1)
    assert board.rows()[0]["trip_at"] == 1_700_000_000.0
    # By bridge: bridge0's zones come before bridge1's (after the troubled ones).
    assert [z["bridge"] for z in board.rows()[3:6]] == ["bridge0"] * 3
    board.set_order("name")
    assert [z["zone"] for z in board.rows()[3:5]] == ["z000", "z001"]
    # One zone's state: that zone moves up, its arming kept, the list not asked again.
    asked = len(gw.requests)
    body = {**zone(42, "alarm"), "trip": {"id": "t2", "at": 1_700_000_100.0}}
    del body["armed"], body["bridge"]
    gw.deliver("zone/bridge0/z042/state", body, retained=False)
    assert len(gw.requests) == asked
    assert [z["zone"] for z in board.rows()[:2]] == ["z042", "z300"]
    assert board.zones[("bridge0", "z042")]["armed"] is True
    # Malformed or mismatched reports change nothing.
    gw.deliver("zone/bridge0/z043/state", {**body, "zone": "z042"})
    gw.deliver("zone/bridge0/z044/state", b"x" * 5000)
    assert ("bridge0", "z043") not in board.zones and ("bridge0", "z044") not in board.zones
    # The core's arming events.
    gw.deliver(
        "events/zone.disarmed",
        {"type": "zone.disarmed", "data": {"bridge": "bridge0", "zone": "z042"}},
    )
    assert board.zones[("bridge0", "z042")]["armed"] is False and board.counts()["disarmed"] == 2
    board.stop()
    assert not gw.subscribed("zone/+/+/state") and not gw.subscribed("events/zone.armed")


def test_arming_needs_a_card_or_pin_and_refusals_are_translated() -> None:
    asked: list[dict[str, Any]] = []

    def disarm(p: dict[str, Any]) -> dict[str, Any]:
        asked.append(p)
        if p["value"] != PIN:
            return {"refused": "unknown", "tries_left": 4}
        if p["zone"] == "z001":
            raise InvalidInput(
                "zone z001 is a panic zone, armed day and night; it cannot be disarmed"
            )
        return {"bridge": p["bridge"], "zone": p["zone"], "armed": False, "by": "王 (0417)"}

    zones = [zone(0), zone(1, kind="panic")]
    gw = LocalGateway({"zone.list": listing(zones), "zone.disarm_officer": disarm})
    board = ZoneBoard(gw, Strings("zh"), lambda: None)
    board.start()
    said: list[str | None] = []
    key = ("bridge0", "z000")
    assert board.set_armed(key, False, "pin", "", "", said.append) == "ack.need_pin"
    assert asked == []
    assert board.set_armed(key, False, "pin", "111111", "", said.append) is None
    assert said[-1] is not None and "不属于值班民警" in said[-1] and "4" in said[-1]
    assert board.zones[key]["armed"] is True
    board.set_armed(key, False, "pin", PIN, " 维修 ", said.append)
    assert asked[-1] == {
        "zone": "z000",
        "bridge": "bridge0",
        "kind": "pin",
        "value": PIN,
        "reason": "维修",
    }
    assert "by" not in asked[-1], "the wall never sends a typed name"
    assert said[-1] is None and board.zones[key]["armed"] is False
    assert board.note == "王 (0417) 已撤防: Zone 000" and board.note_ok
    board.set_armed(("bridge1", "z001"), False, "pin", PIN, "", said.append)
    assert said[-1] == "防区 z001 为 24 小时防区，不能撤防"
    assert not board.note_ok and "Zone 001" in board.note
    assert board.zones[("bridge1", "z001")]["always"]


def test_the_list_is_read_only_once_the_broker_confirmed_the_subscriptions() -> None:
    gw = LocalGateway({"zone.list": listing([zone(0), zone(1)])})
    gw.hold_subscriptions = True
    board = ZoneBoard(gw, Strings("en"), lambda: None)
    board.start()
    assert len(gw.unconfirmed) == 1, "one subscription of every topic, not waited for"
    assert gw.requests == [], "the list waits for the broker's confirmation"
    gw.confirm()
    assert gw.subscribed("zone/+/+/state") and gw.subscribed("events/zone.armed")
    assert [m for m, _ in gw.requests] == ["zone.list"]
    assert len(board.zones) == 2 and board.total == 2
    gw.deliver("zone/bridge1/z001/state", zone(1, "alarm"))
    assert board.zones[("bridge1", "z001")]["state"] == "alarm"
    # Shown again while listening: the list is read again, nothing subscribed twice.
    board.start()
    assert [m for m, _ in gw.requests] == ["zone.list"] * 2 and gw.unconfirmed == []


def test_hidden_before_the_broker_confirmed_it_reads_nothing_and_listens_to_nothing() -> None:
    gw = LocalGateway({"zone.list": listing([zone(0)])})
    gw.hold_subscriptions = True
    board = ZoneBoard(gw, Strings("en"), lambda: None)
    board.start()
    board.stop()
    gw.confirm()  # the subscriptions made after the view was hidden
    assert gw.requests == [] and not gw.subscribed("zone/+/+/state")
    assert not gw.subscribed("events/zone.armed") and not gw.subscribed("events/zone.disarmed")
    # Hidden and shown again while the broker has not answered yet: one subscription, one read.
    board.start()
    board.stop()
    board.start()
    assert len(gw.unconfirmed) == 1
    gw.confirm()
    assert [m for m, _ in gw.requests] == ["zone.list"] and gw.subscribed("zone/+/+/state")
