"""Alarms in the store: raising them, acknowledging them, listing them.

Raising an alarm logs an ``alarm.raised`` event and queues it for the city platform in the same
transaction; the alarm row points at that event. Acknowledging records who did it and why, once.
"""

from __future__ import annotations

from typing import Any

from compound.domain.model import Alarm, InvalidInput
from compound.store.base import StoreBase, row_id


class Alarms(StoreBase):
    def raise_alarm(
        self,
        kind: str,
        message: str,
        *,
        severity: str = "high",
        door_id: str | None = None,
        person_id: int | None = None,
        at: float | None = None,
        data: dict[str, Any] | None = None,
        police_110: bool = False,
        uplink_extra: dict[str, Any] | None = None,
    ) -> Alarm:
        """Raise an alarm; ``police_110`` marks its platform record for the police's 110
        desk (an unanswered emergency, a zone alarm of a 110-linked kind); ``uplink_extra``
        adds fields to that record (a zone's name and location)."""
        at = self.clock.now() if at is None else at
        record: dict[str, Any] = {
            "type": "alarm",
            "kind": kind,
            "severity": severity,
            "door": door_id,
            "at": at,
        }
        if police_110:
            record["police_110"] = True
            record["message"] = message
        record.update(uplink_extra or {})
        with self.transaction() as c:
            ev = self.append_event(
                "alarm.raised",
                at=at,
                door_id=door_id,
                person_id=person_id,
                data={"kind": kind, "severity": severity, "message": message, **(data or {})},
                uplink=record,
            )
            aid = row_id(
                c.execute(
                    "INSERT INTO alarms (raised_at, kind, severity, door_id, person_id, message,"
                    " event_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (at, kind, severity, door_id, person_id, message, ev.seq),
                ).lastrowid
            )
            return Alarm(aid, at, kind, severity, door_id, message)

    def acknowledge_alarm(
        self,
        alarm_id: int,
        by: str,
        note: str = "",
        actor: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Alarm:
        """``by`` is the name the person gave; ``actor``, when the request came over the bus,
        the broker user that sent it (logged beside it: the name typed proves nothing).
        ``extra``: more for the log's event (the identified officer at the wall)."""
        by = by.strip()
        if not by:
            raise InvalidInput("say who acknowledges the alarm (--by NAME)")
        now = self.clock.now()
        with self.transaction() as c:
            row = c.execute(
                "SELECT acknowledged_at, event_seq FROM alarms WHERE id = ?", (alarm_id,)
            ).fetchone()
            if row is None:
                raise InvalidInput(f"unknown alarm {alarm_id}")
            if row[0] is not None:
                raise InvalidInput(f"alarm {alarm_id} is already acknowledged")
            c.execute(
                "UPDATE alarms SET acknowledged_at = ?, acknowledged_by = ?, note = ? WHERE id = ?",
                (now, by, note, alarm_id),
            )
            who = {"by": by} if actor is None else {"actor": actor, "by": by}
            data = {"alarm_id": alarm_id, **who, "note": note, **(extra or {})}
            # the platform's district view closes the alarm it holds (by its raising event);
            # who acknowledged stays on the box
            ack = {"type": "alarm_ack", "alarm_event": row[1], "at": now}
            self.append_event("alarm.acknowledged", at=now, data=data, uplink=ack)
        return self.alarm(alarm_id)

    def alarm(self, alarm_id: int) -> Alarm:
        row = self.one("SELECT * FROM alarms WHERE id = ?", (alarm_id,))
        if row is None:
            raise InvalidInput(f"unknown alarm {alarm_id}")
        return _alarm(row)

    def alarms(self, open_only: bool = False, limit: int = 200) -> list[Alarm]:
        sql = "SELECT * FROM alarms"
        if open_only:
            sql += " WHERE acknowledged_at IS NULL"
        rows = self.query(sql + " ORDER BY id DESC LIMIT ?", (limit,))
        return [_alarm(r) for r in rows]


def _alarm(r: dict[str, Any]) -> Alarm:
    return Alarm(
        r["id"],
        r["raised_at"],
        r["kind"],
        r["severity"],
        r["door_id"],
        r["message"],
        r["acknowledged_at"],
        r["acknowledged_by"],
        r["note"],
    )
