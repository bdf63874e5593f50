"""Verifying the event log from where the last verification ended.

Walking the whole chain reads every event: about 100 s for 10 million events (200 days at the
Xi'an size). Once a verification has walked the chain from event 1 to event N and found it
whole, the box signs that fact, the mark: event N's sequence number and hash, and when it was
verified, signed (HMAC-SHA256) with the checkpoint key, which the database does not hold. The
mark is kept in the database's settings; editing it there breaks its signature, and deleting it
only makes the next verification start from event 1 again.

``verify_since_mark`` then checks that event N still has the hash the mark signed, walks the
chain from event N + 1 to the head, and compares the head with the signed checkpoints and head
records like the full verification. What it does not do is read events 1 to N again: an old
event changed in the file after the mark was made (the database's triggers refuse it, a hand
with the file does not) is seen by the full verification only. The result says which events it
read and since when the others are trusted, and the full verification stays the default.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from compound.protocol.messages import canonical
from compound.store.base import StoreError
from compound.store.checkpoint import Checkpoints
from compound.store.log import LogCheck

MARK_SETTING = "log_verified"


@dataclass(frozen=True)
class Mark:
    """The chain was verified whole from event 1 to event ``seq`` (hash ``hash``) at ``at``."""

    seq: int
    hash: str
    at: float
    mac: str


@dataclass(frozen=True)
class Verification:
    """A verification's result: ``check`` as the full one reports it (``events`` is the head,
    every event the log holds), ``read_from`` the first event read now (1: all were read),
    ``trusted_at`` when events before it were verified (None when all were read), and a
    ``note`` when a mark was there but could not be used."""

    check: LogCheck
    read_from: int = 1
    trusted_at: float | None = None
    note: str = ""


def sign_mark(key: bytes, seq: int, hash_: str, at: float) -> str:
    # Its own kind of record: a checkpoint's signature (a head seen, not a chain verified)
    # cannot be passed off as a mark.
    body = canonical({"kind": "log_verified", "seq": seq, "hash": hash_, "at": at})
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def read_mark(store: Checkpoints) -> tuple[Mark | None, str]:
    """The mark, if there is one signed with this box's key; else None and why not."""
    raw = store.setting(MARK_SETTING)
    if raw is None:
        return None, ""
    try:
        d = json.loads(raw)
        mark = Mark(int(d["seq"]), str(d["hash"]), float(d["at"]), str(d["mac"]))
    except (ValueError, KeyError, TypeError):
        return None, "the mark of the last verification is damaged"
    want = sign_mark(store._checkpoint_key(), mark.seq, mark.hash, mark.at)
    if not hmac.compare_digest(mark.mac, want):
        return None, "the mark of the last verification is not signed with this box's key"
    return mark, ""


def save_mark(store: Checkpoints, seq: int, hash_: str) -> Mark:
    at = store.clock.now()
    mark = Mark(seq, hash_, at, sign_mark(store._checkpoint_key(), seq, hash_, at))
    store.set_setting(
        MARK_SETTING,
        json.dumps({"seq": seq, "hash": hash_, "at": at, "mac": mark.mac}, sort_keys=True),
    )
    return mark


def verify(store: Checkpoints, *, incremental: bool = False) -> Verification:
    """The chain and the signed heads; from the last mark when ``incremental`` and a mark
    signed with this box's key is there, else from event 1. A log found whole gets a new mark
    at its head. Neither walk holds the lock the door decisions take (``verify_from``)."""
    mark, note = read_mark(store) if incremental else (None, "")
    if mark is None:
        result = Verification(store.verify_log(), note=note and f"{note}, so every event was read")
    else:
        result = _since(store, mark)
    if result.check.ok and result.check.events:
        head = store.one("SELECT hash FROM events WHERE seq = ?", (result.check.events,))
        if head is not None:
            try:
                save_mark(store, result.check.events, str(head["hash"]))
            except StoreError as e:  # a database this user may only read: verified all the same
                note = f"{result.note + '; ' if result.note else ''}no mark saved: {e}"
                result = replace(result, note=note)
    return result


def _since(store: Checkpoints, mark: Mark) -> Verification:
    row = store.one("SELECT hash FROM events WHERE seq = ?", (mark.seq,))
    if row is None or row["hash"] != mark.hash:
        problem = (
            f"event {mark.seq} {'is missing' if row is None else 'differs'} since the "
            f"verification of {_when(mark.at)}: the log was rewritten"
        )
        return Verification(LogCheck(False, mark.seq, mark.seq, problem), mark.seq + 1, mark.at)
    return Verification(store.verify_from(mark.seq, mark.hash), mark.seq + 1, mark.at)


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
