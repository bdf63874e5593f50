"""Store-and-forward to the city / police platform (``compound uplink run``).

The outbox is filled in the same transaction as the event it records. This service drains it in
sequence order to the upstream broker over MQTT with TLS, at QoS 1, with at most ``window``
records awaiting their PUBACK; a row is marked sent only after the broker acknowledged it. After
a reconnect everything not yet acknowledged is sent again from the oldest, so delivery is at
least once; every record carries the site's sequence number and an idempotent id, and the
platform (``PlatformConsumer``) drops duplicates and sees gaps.

Unsent rows are never pruned, so an outage lasts as long as the disk allows (see
docs/scaling.md for rows and bytes per hour). A record that carries anything biometric, or an
unmasked ID number, is withheld: the platform receives a tombstone with the same sequence
number instead, so its stream has no hole and nothing sensitive crosses the wire.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compound.bus import Bus, Delivery
from compound.store import Store

log = logging.getLogger(__name__)

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
# No legitimate record has a value this long; an encoded picture or template would.
MAX_VALUE_CHARS = 512


class Withheld(ValueError):
    """The record must not leave the box; the message says why."""


def guard(payload: Any, path: str = "") -> None:
    """Refuse a payload carrying biometric data, images or an unmasked ID number."""
    if isinstance(payload, dict):
        for k, v in payload.items():
            key = str(k).lower()
            where = f"{path}.{k}" if path else str(k)
            if any(b in key for b in BIOMETRIC_KEYS):
                raise Withheld(f"biometric or image field {where!r}")
            if key in ("id_number", "id_no") and v is not None and "*" not in str(v):
                raise Withheld(f"unmasked ID number in {where!r}")
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
        "id": f"{site}:{row['event_seq']}",
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


def topic(prefix: str, site: str) -> str:
    """One topic per site, so that one broker connection keeps the site's records in order."""
    return f"{prefix}/{site}/outbox"


@dataclass
class Stats:
    published: int = 0
    acknowledged: int = 0
    withheld: int = 0
    resends: int = 0
    reconnects: int = 0


class UplinkSender:
    """Drains the outbox to the upstream bus in order, with a bounded in-flight window."""

    def __init__(
        self, store: Store, bus: Bus, site: str, prefix: str = "city", window: int = 32
    ) -> None:
        self.store = store
        self.bus = bus
        self.site = site
        self.topic = topic(prefix, site)
        self.window = window
        self.stats = Stats()
        self._inflight: dict[int, Delivery] = {}
        self._cursor: int | None = None
        self._generation = -1
        self._wake = threading.Event()

    def pump(self) -> int:
        """One step: mark what was acknowledged, fill the window; returns records published."""
        if not self.bus.connected:
            return 0
        if self.bus.connects != self._generation:
            # A new connection: whatever was in flight may be lost; send it again from the
            # oldest unacknowledged row. Duplicates are the platform's to drop, by seq and id.
            if self._generation >= 0:
                self.stats.reconnects += 1
                self.stats.resends += len(self._inflight)
            self._generation = self.bus.connects
            self._inflight.clear()
            self._cursor = None
        self._collect()
        if self._cursor is None:
            row = self.store.one("SELECT MIN(seq) AS s FROM outbox WHERE sent_at IS NULL")
            self._cursor = (row["s"] - 1) if row and row["s"] is not None else self._last_seq()
        room = self.window - len(self._inflight)
        if room <= 0:
            return 0
        rows = self.store.query(
            "SELECT seq, event_seq, kind, payload, created_at, withheld FROM outbox"
            " WHERE seq > ? AND sent_at IS NULL ORDER BY seq LIMIT ?",
            (self._cursor, room),
        )
        for row in rows:
            if not self.bus.connected:
                break
            env = envelope(self.site, row)
            if "withheld" in env:
                self.stats.withheld += 1
                if not row["withheld"]:
                    self._mark_withheld(row["seq"], str(env["withheld"]))
            self._inflight[row["seq"]] = self.bus.publish_tracked(self.topic, env, qos=1)
            self._cursor = row["seq"]
            self.stats.published += 1
        return len(rows)

    def _last_seq(self) -> int:
        row = self.store.one("SELECT MAX(seq) AS s FROM outbox")
        return int(row["s"]) if row and row["s"] is not None else 0

    def _collect(self) -> None:
        done = [seq for seq, d in self._inflight.items() if d.done()]
        if not done:
            return
        now = self.store.clock.now()
        with self.store.transaction() as c:
            c.executemany(
                "UPDATE outbox SET sent_at = ? WHERE seq = ? AND sent_at IS NULL",
                [(now, s) for s in done],
            )
        for s in done:
            del self._inflight[s]
        self.stats.acknowledged += len(done)

    def _mark_withheld(self, seq: int, why: str) -> None:
        log.warning("outbox record %s withheld: %s", seq, why)
        with self.store.transaction() as c:
            c.execute("UPDATE outbox SET withheld = ? WHERE seq = ?", (why[:200], seq))

    def prune(self, keep_sent_s: float) -> int:
        """Delete sent rows older than ``keep_sent_s``; the newest row always stays, so that
        sequence numbers are never reused."""
        cutoff = self.store.clock.now() - keep_sent_s
        with self.store.transaction() as c:
            return int(
                c.execute(
                    "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?"
                    " AND seq < (SELECT MAX(seq) FROM outbox)",
                    (cutoff,),
                ).rowcount
            )

    def run(self, stop: threading.Event, idle_s: float = 0.2, busy_s: float = 0.002) -> None:
        while not stop.is_set():
            try:
                n = self.pump()
            except Exception:
                log.exception("uplink step failed")
                n = 0
            stop.wait(busy_s if (n or self._inflight) else idle_s)


def status(store: Store) -> dict[str, Any]:
    row = store.query(
        "SELECT COUNT(*) AS unsent, MIN(seq) AS oldest_seq, MIN(created_at) AS oldest_at,"
        " COALESCE(SUM(LENGTH(payload)), 0) AS bytes FROM outbox WHERE sent_at IS NULL"
    )[0]
    last = store.query("SELECT MAX(seq) AS seq, MAX(sent_at) AS at FROM outbox WHERE sent_at > 0")[
        0
    ]
    withheld = store.query("SELECT COUNT(*) AS n FROM outbox WHERE withheld IS NOT NULL")[0]
    now = store.clock.now()
    return {
        "unsent": row["unsent"],
        "unsent_bytes": row["bytes"],
        "oldest_unsent_seq": row["oldest_seq"],
        "oldest_unsent_age_s": (now - row["oldest_at"]) if row["oldest_at"] else 0.0,
        "last_sent_seq": last["seq"],
        "last_sent_at": last["at"],
        "withheld": withheld["n"],
    }


# -- the platform side -----------------------------------------------------------------------


@dataclass
class SiteStream:
    """One site's records as the platform sees them: in order, without duplicates."""

    next_seq: int | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    highest: int = 0


class PlatformConsumer:
    """Reference consumer for the city platform: de-duplicates by sequence and id, releases
    each site's records in sequence order, and reports gaps (sequence numbers it has not seen
    below the highest one it has). Keep ``next_seq`` per site in durable storage in a real
    platform; here it lives in memory."""

    def __init__(
        self,
        start: dict[str, int] | None = None,
        on_record: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.sites: dict[str, SiteStream] = {}
        self.invalid = 0
        self._start = start or {}
        self._on_record = on_record
        self._lock = threading.Lock()

    def receive(self, payload: bytes) -> str:
        """Take one message; returns "new", "duplicate" or "invalid"."""
        try:
            env = json.loads(payload)
            site, seq, id_ = str(env["site"]), int(env["seq"]), str(env["id"])
        except (ValueError, KeyError, TypeError):
            self.invalid += 1
            return "invalid"
        with self._lock:
            st = self.sites.setdefault(site, SiteStream(next_seq=self._start.get(site)))
            if st.next_seq is None:
                st.next_seq = seq
            if seq < st.next_seq or seq in st.pending or id_ in st.ids:
                st.duplicates += 1
                return "duplicate"
            st.pending[seq] = env
            st.ids.add(id_)
            st.highest = max(st.highest, seq)
            while st.next_seq in st.pending:
                rec = st.pending.pop(st.next_seq)
                st.records.append(rec)
                st.next_seq += 1
                if self._on_record is not None:
                    self._on_record(rec)
            return "new"

    def gaps(self, site: str) -> list[int]:
        st = self.sites.get(site)
        if st is None or st.next_seq is None:
            return []
        return [s for s in range(st.next_seq, st.highest) if s not in st.pending]
