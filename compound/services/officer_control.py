"""Lockdown and remote opens from the officer wall by an identified duty officer
(``lockdown.set_officer``, ``door.unlock_officer``).

As for acknowledging alarms (``services/officer_ack.py``), the officer identifies at the wall by
card or PIN; the core looks the credential up among the duty officers with the same lookup and
the same limit on wrong tries (one limiter per wall and kind, shared with acknowledgements, so
trying PINs through the lockdown switch gains nothing), and logs ``site.lockdown`` or
``door.remote_unlock`` in that officer's name (``by``: "李伟 (0412)") with their id, badge, how
they identified and the wall's broker user (``actor``). A remote open goes through
``services/remote_open.py`` like any other: a reason is required, and in lockdown it is sent only
as an explicit override by a role that may override.

A credential that names no duty officer changes nothing and is answered ``{"refused":
"unknown", "tries_left": n}`` or ``{"refused": "locked", "retry_in": s}``, codes the wall
translates. The wall's broker user has neither ``lockdown.set`` nor ``door.unlock``
(``compound.protocol.acl.WALL_METHODS``), so each lockdown and open made there names a person the
core recognised; the operator's CLI and the consoles keep those two with a typed name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import actor_of
from compound.domain.model import InvalidInput
from compound.services.extension import Offers
from compound.services.officer_ack import OfficerAck, credential_params
from compound.services.remote_open import remote_unlock
from compound.store import officers

if TYPE_CHECKING:
    from compound.services.core import Core

REASON_MAX = 200


def _attributed(officer: officers.Officer, kind: str) -> dict[str, object]:
    return {"officer_id": officer.id, "badge": officer.badge, "credential": kind}


class OfficerControl:
    def __init__(self, core: Core, ack: OfficerAck) -> None:
        self.core = core
        self.ack = ack  # its ``identify``: the one lookup and limit for officers at the wall

    def offers(self) -> Offers:
        return Offers(
            api={"lockdown.set_officer": self.lockdown, "door.unlock_officer": self.unlock}
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def lockdown(self, p: dict[str, Any]) -> dict[str, Any]:
        on = p.get("on")
        if not isinstance(on, bool):
            raise InvalidInput("lockdown needs on: true or false")
        kind, value = credential_params(p)
        officer = self.ack.identify(p, kind, value, "officer_control")
        if isinstance(officer, dict):
            return officer
        actor = actor_of(p) or None
        self.core.store.set_lockdown(on, officer.label, actor, _attributed(officer, kind))
        self.core.publish_lockdown()
        self.core.counters[f"officer_control.lockdown_{'on' if on else 'off'}"] += 1
        return {"lockdown": on, "by": officer.label}

    def unlock(self, p: dict[str, Any]) -> dict[str, Any]:
        door_id, reason = p.get("door"), p.get("reason")
        if not isinstance(door_id, str) or self.core.store.door(door_id) is None:
            raise InvalidInput(f"unknown door {door_id!r}; see `compound door list`")
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("say why the door is opened (--reason TEXT); it goes in the log")
        reason = reason.strip()[:REASON_MAX]  # the log keeps a sentence, not a document
        kind, value = credential_params(p)
        # Who it is first: an unknown card learns nothing about the door or the lockdown.
        officer = self.ack.identify(p, kind, value, "officer_control")
        if isinstance(officer, dict):
            return officer
        core = self.core
        cmd = remote_unlock(
            core.store,
            core.counters,
            core.send_command,
            door_id,
            reason,
            officer.label,
            actor_of(p),
            p.get("override") is True,
            log=core.decision_log.record,
            extra=_attributed(officer, kind),
        )
        return {
            "command_id": cmd.id,
            "expires_at": cmd.expires_at,
            "override": cmd.override,
            "by": officer.label,
        }
