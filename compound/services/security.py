"""Core extension: brute-force limits on the access path, and the ``security.status`` method.

The core asks each of its access gates before it answers a request; this gate turns away PIN and
face attempts while a credential or a door is locked out (``compound.domain.ratelimit``).
The denial is logged like any other, with the reason "too many failed attempts", so the alert
engine sees it and raises its one alarm for consecutive failures; this extension raises none of
its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compound.domain.access import Decision, Reason
from compound.domain.model import Event
from compound.domain.ratelimit import AttemptLimiter, Policy
from compound.protocol.messages import AccessRequest
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
            access_hooks=(self.after,),
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

    def after(self, req: AccessRequest, decision: Decision, event: Event) -> None:
        if decision.reason == Reason.RATE_LIMITED:
            return
        now = self.core.clock.now()
        self.limiter.record(req.door_id, req.kind, req.value, decision.granted, now)
        self._decided += 1
        if self._decided % 1000 == 0:
            self.limiter.forget_idle(now)

    def api_status(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.limiter.status(self.core.clock.now())
