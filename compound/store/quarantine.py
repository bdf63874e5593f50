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
    """(broker user, what it may not write) in quarantine now: a door's id for that door's
    access requests, ``protocol.quarantine.AVAILABILITY`` for its own availability, or a
    topic (it has a "/", which no door id has) for that topic alone."""
    rows = store.query(
        "SELECT device, door_id, topic FROM device_quarantines WHERE released_at IS NULL"
    )
    return {(r["device"], r["topic"] or r["door_id"]) for r in rows}


def quarantines(store: Store) -> list[dict[str, Any]]:
    return store.query(
        "SELECT device, door_id, topic, shed, since, reason FROM device_quarantines"
        " WHERE released_at IS NULL ORDER BY since"
    )


def quarantine(
    store: Store,
    devices: list[str],
    door: str,
    shed: int,
    reason: str,
    topic: str | None = None,
) -> list[str]:
    """Put ``devices`` in quarantine for flooding ``door``: none of them may write that door's
    requests (at ``AVAILABILITY``: their own availability; with ``topic``: that topic only,
    ``door`` being where it is, or "" for a topic of no door's) until released. Returns those
    newly put there (one already in quarantine for the same stays as it is). Logged as
    ``device.quarantined`` with the users, and one ``quarantine`` alarm for the officer."""
    now = store.clock.now()
    new: list[str] = []
    with store.transaction() as c:
        for name in devices:
            if c.execute(
                "SELECT 1 FROM device_quarantines WHERE device = ? AND door_id = ?"
                " AND coalesce(topic, '') = ? AND released_at IS NULL",
                (name, door, topic or ""),
            ).fetchone():
                continue
            c.execute(
                "INSERT INTO device_quarantines (device, door_id, topic, shed, since, reason)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, door, topic, shed, now, reason),
            )
            new.append(name)
        if not new:
            return new
        data = {"devices": new, "door": door, "shed": shed, "reason": reason, "by": "core"}
        if topic is not None:
            data["topic"] = topic
        users = ", ".join(new)
        until = "until `compound devices release`"
        if door == AVAILABILITY:  # no door's: the device's own availability topic
            at = None
            message = (
                f"broker user(s) {users} quarantined: {reason}; the broker refuses their"
                f" availability (online, offline) {until}"
            )
        elif topic is not None:  # at a door, or ("") a station's or a bridge's own topic
            at = door or None
            message = (
                f"{door + ': ' if door else ''}broker user(s) {users} quarantined: {reason}; the"
                f" broker refuses what they send on {topic} {until}"
            )
        else:
            at = door
            message = (
                f"{door}: broker user(s) {users} quarantined: {reason}; their access"
                f" requests at {door} are refused by the broker {until}"
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
