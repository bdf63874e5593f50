"""Which door a request's asker is the panel of.

A door panel stands in a public hallway and may learn about its own door only: ``door.show``
and ``door.list`` (services/core_lists.py) and ``notice.list`` (services/notices.py) answer a
panel for the door it was registered at. The asker is the broker user the API server takes
from the request topic (the broker lets each user write requests under its own name only), not
a name in the request; the devices table says which door that user was registered at.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from compound.ports import actor_of
from compound.store.db import Store


def panel_door(store: Store, params: Mapping[str, Any]) -> str | None:
    """The door of the door panel that asked; None when the asker is no panel (a console, the
    wall, the command line, or a user not registered, as on a development broker); "" for a
    panel registered at no door, which learns of none."""
    actor = actor_of(params)
    if not actor:
        return None
    rows = store.read("SELECT role, doors FROM devices WHERE name = ?", (actor,))
    if not rows or rows[0]["role"] != "panel":
        return None
    doors = json.loads(rows[0]["doors"] or "[]")
    return str(doors[0]) if doors else ""
