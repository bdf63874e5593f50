"""Which door a request's asker is the panel of.

A door panel stands in a public hallway and may learn about its own door only: ``door.show``
and ``door.list`` (services/core_lists.py) and ``notice.list`` (services/notices.py) answer a
panel for the door it was registered at. The asker is the broker user the API server takes
from the request topic (the broker lets each user write requests under its own name only), not
a name in the request; the devices table says which door that user was registered at.

A registration that was revoked (``compound devices revoke``) answers nothing: the broker cuts
the device off when it rereads its files, but a request already queued, a session the broker
kept, or a broker that failed to reload must not still be read a door's notices or state.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from compound.domain.model import InvalidInput
from compound.ports import actor_of
from compound.store.db import Store

REVOKED = "the credential of {actor!r} was revoked; this device is answered nothing"


def panel_door(
    store: Store, params: Mapping[str, Any], counters: Counter[str] | None = None
) -> str | None:
    """The door of the door panel that asked; None when the asker is no panel (a console, the
    wall, the command line, or a user not registered, as on a development broker); "" for a
    panel registered at no door, which learns of none. A device whose registration was revoked
    is refused (``InvalidInput``, counted as ``api.revoked_asker``), whatever its role was: a
    revoked console is no more entitled to every door than a revoked panel to its own."""
    actor = actor_of(params)
    if not actor:
        return None
    rows = store.read("SELECT role, doors, revoked_at FROM devices WHERE name = ?", (actor,))
    if rows and rows[0]["revoked_at"] is not None:
        if counters is not None:
            counters["api.revoked_asker"] += 1
        raise InvalidInput(REVOKED.format(actor=actor))
    if not rows or rows[0]["role"] != "panel":
        return None
    doors = json.loads(rows[0]["doors"] or "[]")
    return str(doors[0]) if doors else ""
