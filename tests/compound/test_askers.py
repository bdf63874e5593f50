"""Who asked an API request, on a real store: the registered role of the broker user behind it,
and the console-only methods (credential and pass revocation, zone arming) refusing any other
registered device while naming who asked."""

from __future__ import annotations

import pytest

from compound.domain.model import InvalidInput
from compound.ports import ACTOR
from compound.services.askers import consoles_only, device_role
from compound.store.db import Store


def register(store: Store, name: str, role: str) -> None:
    with store.transaction() as c:
        c.execute("INSERT INTO devices (name, role, created_at) VALUES (?, ?, 0)", (name, role))


def test_the_role_is_the_registered_one(store: Store) -> None:
    register(store, "panel-d1", "panel")
    register(store, "office", "console")
    assert device_role(store, "panel-d1") == "panel"
    assert device_role(store, "office") == "console"
    assert device_role(store, "nobody") is None  # a development broker's user


def test_only_a_console_passes_and_is_named(store: Store) -> None:
    register(store, "panel-d1", "panel")
    register(store, "office", "console")
    assert consoles_only(store, {ACTOR: "office", "by": "王经理"}, "no") == "office"
    assert consoles_only(store, {}, "no") == ""  # the command line, not over the bus
    with pytest.raises(InvalidInput, match="from the manager's console"):
        # What the request claims ("by") does not count: the broker user does.
        consoles_only(
            store, {ACTOR: "panel-d1", "by": "office"}, "revoked from the manager's console"
        )


def test_a_revoked_console_passes_no_check(store: Store) -> None:
    """Its session may outlive the revocation until the broker rereads its files."""
    register(store, "office", "console")
    with store.transaction() as c:
        c.execute("UPDATE devices SET revoked_at = 1 WHERE name = 'office'")
    assert device_role(store, "office") == "revoked"
    with pytest.raises(InvalidInput, match="from the manager's console"):
        consoles_only(store, {ACTOR: "office"}, "revoked from the manager's console")
