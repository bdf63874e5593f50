"""What an emergency call does besides ringing: the officer hears of it whatever happens.

The door panel's and the entrance controller's emergency button rings the officer's station
group. A station may be missing, switched off or unattended, so the call also raises a critical
``emergency`` alarm at once: it is on the officer wall's alarm queue and goes to the city
platform with the uplink. If no one answers, the call is escalated: a second alarm,
``emergency_unanswered``, whose platform record is marked for the police's 110 desk. An
answered emergency is logged as answered (the call record and the ``intercom.call`` event say
who answered).
"""

from __future__ import annotations

import logging

from compound.domain.intercom import Record, Ring
from compound.store.db import Store

log = logging.getLogger(__name__)


class EmergencyDesk:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._raised: set[str] = set()  # calls whose alarm is raised (a forward rings again)

    def on_ring(self, ring: Ring) -> None:
        if not ring.emergency or ring.call_id in self._raised:
            return
        self._raised.add(ring.call_id)
        self.store.raise_alarm(
            "emergency",
            f"{self._door_name(ring.door)}: emergency button pressed",
            severity="critical",
            door_id=ring.door,
            at=ring.at,
            data={"call_id": ring.call_id},
        )

    def on_record(self, rec: Record) -> None:
        call = rec.call
        if not call.emergency:
            return
        self._raised.discard(call.id)
        if rec.outcome in ("no_answer", "busy") and call.answered_by is None:
            self.store.raise_alarm(
                "emergency_unanswered",
                f"{self._door_name(call.door)}: emergency call not answered; passed to 110",
                severity="critical",
                door_id=call.door,
                at=rec.ended_at,
                data={"call_id": call.id},
                police_110=True,
            )

    def _door_name(self, door_id: str) -> str:
        door = self.store.door(door_id)
        return door.name if door is not None else door_id
