"""When the event log cannot be written (a full disk, a failing card): the door stays locked and
the reader is still answered.

A decision that cannot be logged is not carried out: the door is told "system busy" and nothing
is unlocked. What is wrong is logged once when it starts and once when the log is written
again, not once per request: on a full disk every swipe fails the same way. Nothing needs a
restart: SQLite writes again as soon as there is room.
"""

from __future__ import annotations

import logging
from collections import Counter

from compound.adapters.mqtt import Bus
from compound.domain.access import Decision, Reason
from compound.domain.model import Event
from compound.protocol.messages import AccessRequest, AccessResult, encode
from compound.store.base import StoreError
from compound.store.db import Store

log = logging.getLogger(__name__)

BUSY = "system busy"


class LogOutage:
    def __init__(self, store: Store, bus: Bus, counters: Counter[str]) -> None:
        self.bus = bus
        self.counters = counters
        self.failing: str | None = None  # what is wrong, while the log cannot be written
        store.event_hooks.append(self._written)

    def refuse(self, req: AccessRequest, now: float, error: StoreError) -> Decision:
        """Answer the reader: denied, "system busy"; no command goes to the door."""
        if self.failing is None:
            log.error(
                "the event log cannot be written, so doors are answered %r and stay locked: %s",
                BUSY,
                error,
            )
        self.failing = str(error)
        self.counters["access.not_logged"] += 1
        result = AccessResult(
            request_id=req.id,
            door_id=req.door_id,
            granted=False,
            reason=BUSY,
            at=now,
            person_id=None,
            display_name=None,
        )
        self.bus.publish(self.bus.topics.access_result(req.door_id), encode(result))
        return Decision(False, Reason.SYSTEM_BUSY, req.door_id)

    def _written(self, event: Event) -> None:
        if self.failing is not None:
            log.warning(
                "the event log is written again (event %s); doors decide as usual", event.seq
            )
            self.failing = None
