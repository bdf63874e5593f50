"""The records the box sends to the city / police platform, and their order: pure, no I/O.

What goes on the wire for one outbox row (``envelope``), the guard that keeps anything biometric
or an unmasked ID number on the box (a tombstone with the same sequence number goes instead),
the topics and the platform's cumulative acknowledgement (``{"site": ..., "upto": N}``), and
``SiteStream``: one site's records as the platform sees them, in sequence order, without
duplicates, with the gaps it has not seen yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from compound.protocol.messages import MessageError, decode_object

# Key fragments that mark biometric or image data; a record with any of them never goes up.
BIOMETRIC_KEYS = (
    "template",
    "embedding",
    "encoding",
    "descriptor",
    "biometric",
    "photo",
    "image",
    "jpeg",
    "jpg",
    "png",
    "frame",
    "snapshot",
    "portrait",
    "landmark",
)
# Keys of a phone number: no record carries one (PIPL); a masked one ("138****5678") may pass.
PHONE_KEYS = ("phone", "mobile", "telephone", "tel", "phone_number")
# No legitimate record has a value this long; an encoded picture or template would.
MAX_VALUE_CHARS = 512


class Withheld(ValueError):
    """The record must not leave the box; the message says why."""


def guard(payload: Any, path: str = "") -> None:
    """Refuse a payload carrying biometric data, images, an unmasked ID number or phone."""
    if isinstance(payload, dict):
        for k, v in payload.items():
            key = str(k).lower()
            where = f"{path}.{k}" if path else str(k)
            if any(b in key for b in BIOMETRIC_KEYS):
                raise Withheld(f"biometric or image field {where!r}")
            if key in ("id_number", "id_no") and v is not None and "*" not in str(v):
                raise Withheld(f"unmasked ID number in {where!r}")
            if key in PHONE_KEYS and v not in (None, "") and "*" not in str(v):
                raise Withheld(f"unmasked phone number in {where!r}")
            guard(v, where)
    elif isinstance(payload, list):
        for i, v in enumerate(payload):
            guard(v, f"{path}[{i}]")
    elif isinstance(payload, str | bytes) and len(payload) > MAX_VALUE_CHARS:
        raise Withheld(f"value of {path!r} is {len(payload)} long (an image or template?)")


def envelope(site: str, row: dict[str, Any]) -> dict[str, Any]:
    """What goes on the wire for one outbox row."""
    base = {
        "site": site,
        "seq": row["seq"],
        # the same record always has the same id, so the platform can store it idempotently
        "id": record_id(site, row),
        "kind": row["kind"],
        "at": row["created_at"],
    }
    if row.get("withheld"):
        return {**base, "withheld": row["withheld"]}
    try:
        record = json.loads(row["payload"])
        guard(record)
    except (ValueError, Withheld) as e:
        return {**base, "withheld": str(e)}
    return {**base, "record": record}


def record_id(site: str, row: dict[str, Any]) -> str:
    # A log checkpoint names the event it signs, which may have a record of its own.
    if row["kind"] == "log_checkpoint":
        return f"{site}:checkpoint:{row['event_seq']}"
    return f"{site}:{row['event_seq']}"


def topic(prefix: str, site: str) -> str:
    """One topic per site, so that one broker connection keeps the site's records in order."""
    return f"{prefix}/{site}/outbox"


def ack_topic(prefix: str, site: str) -> str:
    """Where the platform publishes the site's cumulative acknowledgement (QoS 1, retained)."""
    return f"{prefix}/{site}/ack"


def ack_message(site: str, upto: int, last_id: str | None = None) -> dict[str, Any]:
    """The platform's acknowledgement: it holds every record of ``site`` up to ``upto``; with
    ``last_id``, the id of record ``upto`` as it holds it, so that a box can tell an
    acknowledgement of its own records from one of an earlier box under the same site id (a
    replaced box starts its sequence again at 1 and would otherwise take the retained
    acknowledgement of its predecessor for its own)."""
    msg: dict[str, Any] = {"site": site, "upto": upto}
    if last_id is not None:
        msg["id"] = last_id
    return msg


def parse_ack(payload: bytes, site: str) -> int | None:
    """The ``upto`` of an acknowledgement for ``site``, or None for anything else."""
    return site_number(payload, site, "upto", least=0)


def ack_last_id(payload: bytes) -> str | None:
    """The ``id`` an acknowledgement names for its last record, or None (a platform that does
    not say)."""
    try:
        v = decode_object(payload).get("id")
    except MessageError:
        return None
    return v if isinstance(v, str) and 0 < len(v) <= 200 else None


def site_number(payload: bytes, site: str, key: str, least: int) -> int | None:
    """The whole number under ``key`` of a platform message for ``site`` (an acknowledgement's
    ``upto``, a resend request's ``from``), or None for anything else. Read within the bus's
    size and nesting bounds: the platform's broker is outside the box."""
    try:
        msg = decode_object(payload)
    except MessageError:
        return None
    if msg.get("site") != site:
        return None
    n = msg.get(key)
    if isinstance(n, bool) or not isinstance(n, int) or n < least:
        return None
    return n


@dataclass
class SiteStream:
    """One site's records as the platform sees them: in order, without duplicates."""

    next_seq: int | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    highest: int = 0
    # the last ``upto`` acknowledged, and whether the box should hear it again (a duplicate
    # means the box missed an acknowledgement or resent after a timeout)
    acked: int | None = None
    ack_again: bool = False

    def admit(self, seq: int, id_: str, env: dict[str, Any]) -> bool:
        """Take one record; False (counted) when it is a duplicate by sequence or id."""
        if self.next_seq is None:
            self.next_seq = seq
        if seq < self.next_seq or seq in self.pending or id_ in self.ids:
            self.duplicates += 1
            self.ack_again = True
            return False
        self.pending[seq] = env
        self.ids.add(id_)
        self.highest = max(self.highest, seq)
        return True

    def release(self) -> Iterator[dict[str, Any]]:
        """The records that are now in order, one at a time, each added to ``records``."""
        while self.next_seq is not None and self.next_seq in self.pending:
            rec = self.pending.pop(self.next_seq)
            self.records.append(rec)
            self.next_seq += 1
            yield rec

    def gaps(self) -> list[int]:
        """Sequence numbers not seen yet below the highest one seen."""
        if self.next_seq is None:
            return []
        return [s for s in range(self.next_seq, self.highest) if s not in self.pending]

    def acked_upto(self) -> int | None:
        """The highest sequence number below which every record is held."""
        return None if self.next_seq is None else self.next_seq - 1

    def ack_due(self) -> int | None:
        """The ``upto`` to acknowledge now, if the held prefix grew or a duplicate came since
        the last acknowledgement; None when there is nothing new to say."""
        if self.next_seq is None:
            return None
        upto = self.next_seq - 1
        if upto != self.acked or self.ack_again:
            self.acked, self.ack_again = upto, False
            return upto
        return None
