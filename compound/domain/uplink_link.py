"""What a box tells the platform about its link, besides its records (pure).

- ``<prefix>/<site>/status``, retained: ``{"site", "waiting", "unconfirmed",
  "oldest_waiting_age_s", "oldest_unconfirmed_age_s", "at"}``: the records the box holds that
  the platform has not confirmed (never taken by the broker, or sent and not acknowledged) and
  how old the oldest are, by the box's clock. Numbers only: nothing of a record.
- ``compound/<site>/device/uplink-<site>/availability``, retained, ``online`` / ``offline``:
  the uplink's bus connection and its last will (every client of the bus leaves one), so a box
  that drops off the network shows ``offline`` without waiting for a timeout.
"""

from __future__ import annotations

from typing import Any

from compound.protocol.messages import MessageError, decode_object

COUNTS = ("waiting", "unconfirmed")
AGES = ("oldest_waiting_age_s", "oldest_unconfirmed_age_s")


def status_topic(prefix: str, site: str) -> str:
    return f"{prefix}/{site}/status"


def status_message(site: str, st: dict[str, Any], at: float) -> dict[str, Any]:
    """From ``compound.services.uplink_status.status``: only its counts and ages."""
    return {
        "site": site,
        "waiting": int(st["waiting"]),
        "unconfirmed": int(st["unconfirmed"]),
        "oldest_waiting_age_s": round(float(st["oldest_unsent_age_s"]), 1),
        "oldest_unconfirmed_age_s": round(float(st["oldest_unconfirmed_age_s"]), 1),
        "at": round(at, 3),
    }


def parse_status(payload: bytes, site: str) -> dict[str, Any] | None:
    """A box's status for ``site`` with exactly the known numbers, or None for anything else."""
    try:
        msg = decode_object(payload)
    except MessageError:
        return None
    if msg.get("site") != site:
        return None
    out: dict[str, Any] = {"site": site}
    for key in COUNTS + AGES + ("at",):
        v = msg.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < 1e12:
            return None
        out[key] = int(v) if key in COUNTS else float(v)
    return out


def availability_site(topic: str) -> str | None:
    """The site whose uplink this availability topic is, or None (another client's)."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != "compound" or parts[2] != "device":
        return None
    if parts[4] != "availability" or parts[3] != f"uplink-{parts[1]}":
        return None
    return parts[1]


def parse_availability(payload: bytes) -> bool | None:
    return {b"online": True, b"offline": False}.get(bytes(payload).strip())
