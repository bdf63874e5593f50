"""Acknowledging alarms at the officer wall by an identified duty officer (``alarm.ack_officer``).

The officer identifies with their card (a USB reader types the number into the wall) or their
PIN, and gives a remark. The core looks the credential up among the duty officers
(``compound/store/officers.py``, ``compound officer add``) and acknowledges every alarm of the
incident in that officer's name, with the remark, the badge, how they identified and the broker
user that asked (the wall) in the log. The wall's broker user may not call ``alarm.ack`` with a
typed name (``compound.protocol.acl.WALL_METHODS``), so every acknowledgement made at the wall
names a person the core recognised.

A credential that names no duty officer acknowledges nothing and is answered ``{"refused":
"unknown"}`` (a code the wall translates), not an error: it is an everyday mistake, not a fault.
Guessing is throttled per asking wall and kind: five wrong ones within five minutes lock that
kind out for a doubling time (``{"refused": "locked", "retry_in": s}``), so PINs cannot be tried
through one by one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import actor_of
from compound.domain.model import InvalidInput
from compound.domain.ratelimit import AttemptLimiter, Policy
from compound.services.extension import Offers
from compound.store import officers

if TYPE_CHECKING:
    from compound.services.core import Core

MAX_IDS = 200  # alarms in one acknowledgement (one incident; a fire input is one per door)
NOTE_MAX = 500
WALL_POLICY = Policy(
    max_failures=5,
    lockout_s=30.0,
    max_lockout_s=900.0,
    door_max_failures=5,
    door_window_s=300.0,
    kinds=officers.KINDS,
)


def ack_params(p: dict[str, Any]) -> tuple[list[int], str, str, str]:
    """(alarm ids, credential kind, value, remark), or ``InvalidInput`` saying what is wrong."""
    ids = p.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_IDS:
        raise InvalidInput(f"give the alarms to acknowledge as ids: [1 to {MAX_IDS} numbers]")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidInput("alarm ids are whole numbers")
    kind, value = credential_params(p)
    note = p.get("note")
    if not isinstance(note, str) or not note.strip() or len(note) > NOTE_MAX:
        raise InvalidInput(f"say what was done (a remark of 1 to {NOTE_MAX} characters)")
    return list(dict.fromkeys(ids)), kind, value, note.strip()


def credential_params(p: dict[str, Any]) -> tuple[str, str]:
    """(kind, value) of the card or PIN an officer gave, or ``InvalidInput``."""
    kind, value = p.get("kind"), p.get("value")
    if kind not in officers.KINDS or not isinstance(value, str) or len(value) > 64:
        raise InvalidInput("identify by card or PIN: kind 'card' or 'pin' and its value")
    return str(kind), value


class OfficerAck:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.limiter = AttemptLimiter(WALL_POLICY)

    def offers(self) -> Offers:
        return Offers(api={"alarm.ack_officer": self.ack})

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def identify(
        self, p: dict[str, Any], kind: str, value: str, what: str = "officer_ack"
    ) -> officers.Officer | dict[str, Any]:
        """The duty officer this card or PIN names, or the refusal to answer with (unknown, or
        locked out). Every officer action at the wall (acknowledging, lockdown, remote opens:
        ``services/officer_control.py``) goes through here, so wrong tries at any of them count
        against the same limit; ``what`` names the counters."""
        now = self.core.clock.now()
        wall = actor_of(p) or "local"
        self.limiter.forget_idle(now)
        locked = self.limiter.check(wall, kind, value, now)
        if locked is not None:
            self.core.counters[f"{what}.refused_locked"] += 1
            return {"refused": "locked", "retry_in": math.ceil(locked.until - now)}
        officer = officers.identify(self.core.store, kind, value)
        self.limiter.record(wall, kind, value, officer is not None, now)
        if officer is None:
            self.core.counters[f"{what}.unknown"] += 1
            left = self.limiter.tries_left(wall, kind, value, now)
            return {"refused": "unknown", "tries_left": left}
        return officer

    def ack(self, p: dict[str, Any]) -> dict[str, Any]:
        ids, kind, value, note = ack_params(p)
        store = self.core.store
        officer = self.identify(p, kind, value)
        if isinstance(officer, dict):
            return officer
        done: list[int] = []
        skipped: list[int] = []
        for alarm_id in ids:
            try:
                alarm = store.alarm(alarm_id)
                if alarm.acknowledged_at is not None:
                    skipped.append(alarm_id)  # someone else was quicker: nothing to do
                    continue
                extra = {
                    "officer_id": officer.id,
                    "badge": officer.badge,
                    "credential": kind,
                    "kind": alarm.kind,
                    "door": alarm.door_id,
                }
                store.acknowledge_alarm(alarm_id, officer.label, note, actor_of(p) or None, extra)
                done.append(alarm_id)
            except InvalidInput:
                skipped.append(alarm_id)  # unknown, or acknowledged meanwhile
        self.core.counters["officer_ack.acknowledged"] += len(done)
        return {"by": officer.label, "acknowledged": done, "skipped": skipped}
