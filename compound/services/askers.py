"""Who asked an API request: the registered role of the broker user behind it.

The API server puts the sender's broker user in the request (``actor_of``); the broker lets
each user write under its own name only, so that is who asked, whatever the request claims.
A user not in ``devices`` (a development broker without an access list, the command line)
has no role here and is not refused by it: the broker's access list is the gate there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from compound.adapters.mqtt import actor_of
from compound.domain.model import InvalidInput
from compound.ports import ApiMethod
from compound.services.panel_asker import REVOKED as REVOKED_REFUSAL
from compound.store.db import Store

REVOKED = "revoked"  # the role of a device whose registration was revoked: no role passes it


def device_role(store: Store, actor: str) -> str | None:
    """The registered role of a broker user (None: not registered, as on a dev broker);
    ``REVOKED`` once its registration was revoked, which no check lets through (the broker cuts
    the device off when it rereads its files, but its requests may still arrive until then)."""
    row = store.one("SELECT role, revoked_at FROM devices WHERE name = ?", (actor,))
    if row is None:
        return None
    return REVOKED if row["revoked_at"] is not None else str(row["role"])


def consoles_only(store: Store, params: Mapping[str, Any], refusal: str) -> str:
    """Refuse a request sent by a registered device that is not a manager's console; the
    broker user who asked, for the record."""
    actor = actor_of(params)
    role = device_role(store, actor)
    if role is not None and role != "console":
        raise InvalidInput(refusal)
    return actor


def refusing_revoked(
    store: Store, counters: Counter[str], methods: Mapping[str, ApiMethod]
) -> dict[str, ApiMethod]:
    """Every API method, refusing a device whose registration was revoked before it runs
    (counted as ``api.revoked_asker``): the broker cuts the device off only when it rereads its
    files, and until then a revoked console, wall or panel could still open a door from afar,
    read a list or change a record. A user not in ``devices`` is not refused here."""

    def guarded(fn: ApiMethod) -> ApiMethod:
        def method(params: dict[str, Any]) -> Any:
            actor = actor_of(params)
            if actor and device_role(store, actor) == REVOKED:
                counters["api.revoked_asker"] += 1
                raise InvalidInput(REVOKED_REFUSAL.format(actor=actor))
            return fn(params)

        return method

    return {name: guarded(fn) for name, fn in methods.items()}
