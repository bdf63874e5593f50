"""Core extension: brute-force limits on the access path, and the ``security.status`` method.

The core asks each of its access gates before it answers a request; this gate turns away PIN and
face attempts while a credential or a door is locked out (``compound.domain.ratelimit``).
The denial is logged like any other, with the reason "too many failed attempts", so the alert
engine sees it and raises its one alarm for consecutive failures; this extension raises none of
its own.

Each decided attempt is counted before its result goes out, and the result tells the requester
what the limiter now says: how many seconds the lockout still runs, or how many tries are left.
The door panel shows that and keeps no count of its own.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from compound.domain.access import Decision, Reason
from compound.domain.ratelimit import AttemptLimiter, Policy
from compound.protocol.messages import AccessRequest, AccessResult
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core


class SecurityExtension:
    def __init__(self, core: Core) -> None:
        self.core = core
        sec = core.config.security
        self.limiter = AttemptLimiter(
            Policy(
                max_failures=sec.max_failures,
                lockout_s=sec.lockout_s,
                max_lockout_s=sec.max_lockout_s,
                door_max_failures=sec.door_max_failures,
                door_window_s=sec.door_window_s,
            )
        )
        self._decided = 0

    def offers(self) -> Offers:
        return Offers(
            api={"security.status": self.api_status},
            access_gates=(self.gate,),
            result_hooks=(self.after,),
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def gate(self, req: AccessRequest, now: float) -> Reason | None:
        refusal = self.limiter.check(req.door_id, req.kind, req.value, now)
        if refusal is None:
            return None
        self.core.counters[f"access.rate_limited.{refusal.scope}"] += 1
        return Reason.RATE_LIMITED

    def after(self, req: AccessRequest, decision: Decision, result: AccessResult) -> AccessResult:
        """Count a decided attempt (not one refused unread), then add to its result how long
        the lockout it now meets still runs, or how many tries it has left."""
        now = result.at
        door, kind, value = req.door_id, req.kind, req.value
        if decision.reason != Reason.RATE_LIMITED:
            self.limiter.record(door, kind, value, decision.granted, now)
            self._decided += 1
            if self._decided % 1000 == 0:
                self.limiter.forget_idle(now)
        if decision.granted:
            return result
        refusal = self.limiter.lockout(door, kind, value, now)
        if refusal is not None:
            return replace(result, locked_for_s=math.ceil(refusal.until - now), tries_left=0)
        return replace(result, tries_left=self.limiter.tries_left(door, kind, value, now))

    def api_status(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.limiter.status(self.core.clock.now())
