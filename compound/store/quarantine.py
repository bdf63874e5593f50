"""Broker users in quarantine: recorded, logged and alarmed here, applied to the broker's ACL by
``compound devices`` (``compound.protocol.quarantine`` says what a quarantined user keeps).

The core records a quarantine when a door floods (``compound.services.quarantine``); an operator
releases it with ``compound devices release NAME``. Both are hash-chained events; a quarantine
also raises a ``quarantine`` alarm for the officer naming the broker users.
"""

from __future__ import annotations

import json
from typing import Any

from compound.domain.model import InvalidInput
from compound.protocol.acl import Device
from compound.protocol.quarantine import AVAILABILITY
from compound.store.db import Store


def active_devices(store: Store) -> list[Device]:
    rows = store.read("SELECT * FROM devices WHERE revoked_at IS NULL ORDER BY name")
    return [
        Device(
            name=r["name"],
            role=r["role"],
            doors=tuple(json.loads(r["doors"])),
            unit=r["unit"],
            cameras=tuple(json.loads(r["cameras"])),
            methods=tuple(json.loads(r["methods"])),
        )
        for r in rows
    ]


def quarantined(store: Store) -> set[tuple[str, str]]:
    """(broker user, door) in quarantine now: the user may not write that door's requests
    (or its own availability, where the door is ``protocol.quarantine.AVAILABILITY``)."""
    rows = store.query("SELECT device, door_id FROM device_quarantines WHERE released_at IS NULL")
    return {(r["device"], r["door_id"]) for r in rows}


def quarantines(store: Store) -> list[dict[str, Any]]:
    return store.query(
        "SELECT device, door_id, shed, since, reason FROM device_quarantines"
        " WHERE released_at IS NULL ORDER BY since"
    )


def quarantine(store: Store, devices: list[str], door: str, shed: int, reason: str) -> list[str]:
    """Put ``devices`` in quarantine for flooding ``door``: none of them may write that door's
    requests (at ``AVAILABILITY``: their own availability) until released. Returns those newly
    put there (one already in quarantine for that door stays as it is). Logged as
    ``device.quarantined`` with the users, and one ``quarantine`` alarm for the officer."""
    now = store.clock.now()
    new: list[str] = []
    with store.transaction() as c:
        for name in devices:
            if c.execute(
                "SELECT 1 FROM device_quarantines WHERE device = ? AND door_id = ?"
                " AND released_at IS NULL",
                (name, door),
            ).fetchone():
                continue
            c.execute(
                "INSERT INTO device_quarantines (device, door_id, shed, since, reason)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, door, shed, now, reason),
            )
            new.append(name)
        if not new:
            return new
        data = {"devices": new, "door": door, "shed": shed, "reason": reason, "by": "core"}
        users = ", ".join(new)
        if door == AVAILABILITY:  # no door's: the device's own availability topic
            at = None
            message = (
                f"broker user(s) {users} quarantined: {reason}; the broker refuses their"
                " availability (online, offline) until `compound devices release`"
            )
        else:
            at = door
            message = (
                f"{door}: broker user(s) {users} quarantined: {reason}; their access"
                f" requests at {door} are refused by the broker until `compound devices release`"
            )
        store.append_event("device.quarantined", at=now, door_id=at, data=data)
        store.raise_alarm(
            "quarantine",
            message,
            severity="high",
            door_id=at,
            data={"devices": new, "shed": shed},
        )
    return new


def release(store: Store, name: str, by: str) -> None:
    """End every quarantine of broker user ``name``."""
    now = store.clock.now()
    with store.transaction() as c:
        n = c.execute(
            "UPDATE device_quarantines SET released_at = ?, released_by = ?"
            " WHERE device = ? AND released_at IS NULL",
            (now, by, name),
        ).rowcount
        if n == 0:
            raise InvalidInput(f"{name!r} is not in quarantine; see `compound devices list`")
        store.append_event("device.released", at=now, data={"device": name, "by": by})
