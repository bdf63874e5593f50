"""Remote opens (``door.unlock`` from a console or the CLI, Home Assistant's lock): who may open
a door from afar, and what the log says about it.

During a lockdown a remote open is refused unless the asker overrides it explicitly (the CLI's
``--override``, the API's ``override: true``) with a reason: then it is logged as
``door.remote_unlock`` with ``override: true``, the broker user that asked and the reason, and
the command carries a signed ``override`` flag, the only thing the bridge opens for in lockdown.
Without it nothing is sent and the asker gets the refusal (an API error reply).

Only a console (the operator's and the property office's consoles) and the officer wall (the
community police officer, who decides who passes during an incident) may override: a device
registered with another role that was granted ``door.unlock`` as an extra method (a panel, say)
is refused, whatever it says about itself, because the role is looked up by the broker user
that asked. Home Assistant has no override at all (``ha_lock``). The officer's
indoor station opening the door of an emergency it answered comes through here too
(``services/intercom.py``, ``may_override=("station",)``): the intercom decided it may.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from compound.domain.model import InvalidInput
from compound.protocol.messages import DoorCommand
from compound.services.askers import device_role
from compound.store.db import Store

# The core's send_command: (door, action, reason, duration_s, override=...) -> the signed command.
Send = Callable[..., DoorCommand]

LOCKDOWN_REFUSAL = (
    "the site is in lockdown: door {door} was not opened and nothing was sent; to let someone in "
    "anyway, repeat with --override and the reason (API: override: true)"
)


def remote_unlock(
    store: Store,
    counters: Counter[str],
    send: Send,
    door_id: str,
    reason: str,
    by: str,
    actor: str,
    override: bool = False,
    may_override: tuple[str, ...] = ("console", "wall"),
    log: Callable[[str, str, dict[str, object]], object] | None = None,
    extra: dict[str, object] | None = None,
) -> DoorCommand:
    """Log and send a remote open, or raise ``InvalidInput`` with what the asker must know."""
    door = store.door(door_id)
    if door is None:
        raise InvalidInput(f"unknown door {door_id!r}; see `compound door list`")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the door is opened (--reason TEXT); it goes in the log")
    lockdown = store.lockdown()
    if lockdown and override and (role := device_role(store, actor)) not in (None, *may_override):
        counters["remote_unlock.refused_override_role"] += 1
        raise InvalidInput(f"a {role} may not override a lockdown; a console or the wall may")
    if lockdown and not override:
        counters["remote_unlock.refused_lockdown"] += 1
        raise InvalidInput(LOCKDOWN_REFUSAL.format(door=door_id))
    # actor: the broker user that asked; by: the name it typed, which proves nothing.
    # extra: who the core identified the officer as (``services/officer_control.py``).
    data: dict[str, object] = {"actor": actor, "by": by, "reason": reason, **(extra or {})}
    if lockdown:
        data["override"] = True  # an override outside a lockdown overrides nothing: not flagged
    if log is None:
        store.append_event("door.remote_unlock", door_id=door_id, data=data)
    else:  # the core's decision log: not held behind an import (``services/decision_log.py``)
        log("door.remote_unlock", door_id, data)
    return send(door_id, "unlock", f"remote: {reason}", door.open_time_s, override=lockdown)
