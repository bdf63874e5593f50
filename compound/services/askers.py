"""Who asked an API request: the registered role of the broker user behind it.

The API server puts the sender's broker user in the request (``actor_of``); the broker lets
each user write under its own name only, so that is who asked, whatever the request claims.
A user not in ``devices`` (a development broker without an access list, the command line)
has no role here and is not refused by it: the broker's access list is the gate there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compound.adapters.mqtt import actor_of
from compound.domain.model import InvalidInput
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
