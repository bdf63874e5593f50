"""Which door a request's asker is the panel of, on a real store: a live panel's own door, no
door for a console or an unregistered user, and a refusal naming the device for any device
whose registration was revoked (the broker may still carry its requests for a while)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from compound.app import devices
from compound.domain.model import InvalidInput
from compound.ports import ACTOR
from compound.services import notices
from compound.services.panel_asker import panel_door
from compound.store.db import Store


def register(store: Store, name: str, role: str, doors: list[str]) -> None:
    with store.transaction() as c:
        c.execute(
            "INSERT INTO devices (name, role, doors, created_at) VALUES (?, ?, ?, 0)",
            (name, role, json.dumps(doors)),
        )


def test_a_live_panel_has_its_door_and_others_none(store: Store) -> None:
    register(store, "panel-d1", "panel", ["d1"])
    register(store, "panel-none", "panel", [])
    register(store, "office", "console", [])
    assert panel_door(store, {ACTOR: "panel-d1"}) == "d1"
    assert panel_door(store, {ACTOR: "panel-none"}) == ""
    assert panel_door(store, {ACTOR: "office"}) is None
    assert panel_door(store, {ACTOR: "nobody"}) is None  # a development broker's user
    assert panel_door(store, {}) is None  # the command line


@pytest.mark.parametrize("role", ["panel", "console"])
def test_a_revoked_device_is_refused_and_counted(store: Store, role: str) -> None:
    """A revoked console would otherwise count as "no panel" and be answered every door."""
    register(store, "dev1", role, ["d1"])
    devices.revoke(store, "dev1", "test")
    counters: Counter[str] = Counter()
    with pytest.raises(InvalidInput, match="'dev1' was revoked"):
        panel_door(store, {ACTOR: "dev1"}, counters)
    assert counters["api.revoked_asker"] == 1


def test_a_revoked_panel_is_read_no_notice(store: Store) -> None:
    store.add_unit("3-2-1501")
    store.add_door("d1", "Building 3 entrance 2", ["3-2"])
    register(store, "panel-d1", "panel", ["d1"])
    notices.post(store, {"text": "停水", "valid_until": store.clock.now() + 3600, "by": "o"})
    now = store.clock.now()
    assert [n["text"] for n in notices.asked(store, now, {ACTOR: "panel-d1"})] == ["停水"]
    devices.revoke(store, "panel-d1", "test")
    with pytest.raises(InvalidInput, match="revoked"):
        notices.asked(store, now, {ACTOR: "panel-d1", "door": "d1", "active": True})
