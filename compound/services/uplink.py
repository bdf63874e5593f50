"""Store-and-forward to the city / police platform (``compound uplink run``).

The outbox is filled in the same transaction as the event it records. This service drains it in
sequence order to the upstream broker over MQTT with TLS, at QoS 1, with at most ``window``
records awaiting their PUBACK. The PUBACK only says the broker took the record (``sent_at``, used
for flow control): a broker that dies before forwarding it loses it. A record is done
(``confirmed_at``) when the platform's cumulative acknowledgement on ``<prefix>/<site>/ack``,
``{"site": ..., "upto": N}`` ("I hold every record up to N"), covers it. Records sent but not
confirmed within ``confirm_timeout_s``, and after every reconnect, are sent again from the oldest
unconfirmed, in order; every record carries the site's sequence number and an idempotent id, and
the platform (``PlatformConsumer``) drops duplicates and sees gaps. With
``require_platform_ack=False`` (a platform that does not acknowledge) the PUBACK counts as the
confirmation, as before.

Unconfirmed rows are never pruned, so an outage lasts as long as the disk allows (see
docs/scaling.md for rows and bytes per hour). A record that carries anything biometric, or an
unmasked ID number, is withheld: the platform receives a tombstone with the same sequence
number instead, so its stream has no hole and nothing sensitive crosses the wire.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compound.adapters.mqtt import Bus, Delivery, Message
from compound.store.db import Store

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


def ack_topic(prefix: str, site: str) -> str:
    """Where the platform publishes the site's cumulative acknowledgement (QoS 1, retained)."""
    return f"{prefix}/{site}/ack"


def ack_message(site: str, upto: int) -> dict[str, Any]:
    """The platform's acknowledgement: it holds every record of ``site`` up to ``upto``."""
    return {"site": site, "upto": upto}


def parse_ack(payload: bytes, site: str) -> int | None:
    """The ``upto`` of an acknowledgement for ``site``, or None for anything else."""
    try:
        msg = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(msg, dict) or msg.get("site") != site:
        return None
    upto = msg.get("upto")
    if isinstance(upto, bool) or not isinstance(upto, int) or upto < 0:
        return None
    return upto


@dataclass
class Stats:
    published: int = 0
    acknowledged: int = 0
    withheld: int = 0
    resends: int = 0
    reconnects: int = 0
    confirmed: int = 0
    timeouts: int = 0
    acks_received: int = 0
    acks_refused: int = 0


class UplinkSender:
    """Drains the outbox to the upstream bus in order, with a bounded in-flight window.

    ``require_platform_ack`` defaults to False here so that a caller written for the PUBACK-only
    contract keeps it; ``compound uplink run`` passes ``[uplink] require_platform_ack`` (true by
    default)."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        site: str,
        prefix: str = "city",
        window: int = 32,
        *,
        require_platform_ack: bool = False,
        confirm_timeout_s: float = 10.0,
        max_unconfirmed: int = 2000,
    ) -> None:
        if confirm_timeout_s <= 0 or max_unconfirmed < window:
            raise ValueError("confirm_timeout_s must be positive and max_unconfirmed >= window")
        self.store = store
        self.bus = bus
        self.site = site
        self.topic = topic(prefix, site)
        self.ack_topic = ack_topic(prefix, site)
        self.window = window
        self.require_platform_ack = require_platform_ack
        self.confirm_timeout_s = confirm_timeout_s
        self.max_unconfirmed = max_unconfirmed
        self.stats = Stats()
        self._inflight: dict[int, Delivery] = {}
        self._cursor: int | None = None
        self._generation = -1
        self._wake = threading.Event()
        # (seq, clock time) of each record published and not yet confirmed, in publish order:
        # the head's time is when the oldest unconfirmed record went out (the timeout's start)
        self._unconfirmed: deque[tuple[int, float]] = deque()
        self._confirmed_upto = self._initial_confirmed()
        self._highest_published = self._confirmed_upto
        # the highest ``upto`` heard from the platform; written on the network thread
        self._acked = 0
        self._ack_lock = threading.Lock()
        if require_platform_ack:
            bus.subscribe(self.ack_topic, self._on_ack)

    # -- the platform's acknowledgement ----------------------------------------------------

    def _initial_confirmed(self) -> int:
        """Every row up to this seq is confirmed (or pruned)."""
        row = self.store.one("SELECT MIN(seq) AS s FROM outbox WHERE confirmed_at IS NULL")
        if row and row["s"] is not None:
            return int(row["s"]) - 1
        return self._last_seq()

    def _on_ack(self, msg: Message) -> None:
        upto = parse_ack(msg.payload, self.site)
        with self._ack_lock:
            if upto is None:
                self.stats.acks_refused += 1
                return
            self.stats.acks_received += 1
            self._acked = max(self._acked, upto)

    def acknowledge(self, upto: int) -> None:
        """Take a platform acknowledgement that came some other way (same rules as the topic)."""
        with self._ack_lock:
            self._acked = max(self._acked, upto)

    def _apply_acks(self) -> None:
        with self._ack_lock:
            acked = self._acked
        # Never confirm what was not sent: an acknowledgement beyond it (a platform that kept
        # the state of another box with this site id) would otherwise drop records unseen.
        upto = min(acked, self._highest_published)
        if upto <= self._confirmed_upto:
            return
        now = self.store.clock.now()
        with self.store.transaction() as c:
            n = c.execute(
                "UPDATE outbox SET confirmed_at = ?, sent_at = COALESCE(sent_at, ?)"
                " WHERE seq > ? AND seq <= ? AND confirmed_at IS NULL",
                (now, now, self._confirmed_upto, upto),
            ).rowcount
        self.stats.confirmed += int(n)
        self._confirmed_upto = upto
        if self._cursor is not None:
            self._cursor = max(self._cursor, upto)
        while self._unconfirmed and self._unconfirmed[0][0] <= upto:
            self._unconfirmed.popleft()

    def _go_back(self, why: str) -> None:
        """Send again from the oldest unconfirmed record, in order."""
        last = self._cursor if self._cursor is not None else self._highest_published
        pending = max(0, last - self._confirmed_upto)
        if pending:
            log.info(
                "uplink: %s; sending %d records again from #%d",
                why,
                pending,
                self._confirmed_upto + 1,
            )
        self.stats.resends += pending
        self._cursor = self._confirmed_upto
        self._unconfirmed.clear()

    # -- the drain -------------------------------------------------------------------------

    def pump(self) -> int:
        """One step: mark what was acknowledged, fill the window; returns records published."""
        if not self.bus.connected:
            return 0
        if self.bus.connects != self._generation:
            # A new connection: whatever was in flight may be lost; send it again from the
            # oldest unconfirmed row. Duplicates are the platform's to drop, by seq and id.
            if self._generation >= 0:
                self.stats.reconnects += 1
                if not self.require_platform_ack:
                    self.stats.resends += len(self._inflight)
            self._generation = self.bus.connects
            self._inflight.clear()
            self._unconfirmed.clear()
            self._cursor = None
        self._collect()
        if self.require_platform_ack:
            self._apply_acks()
            if self._cursor is None:
                self._go_back("new connection")
            elif (
                self._unconfirmed
                and self.store.clock.now() - self._unconfirmed[0][1] >= self.confirm_timeout_s
            ):
                self.stats.timeouts += 1
                self._go_back(f"no confirmation within {self.confirm_timeout_s:g} s")
        elif self._cursor is None:
            row = self.store.one("SELECT MIN(seq) AS s FROM outbox WHERE confirmed_at IS NULL")
            self._cursor = (row["s"] - 1) if row and row["s"] is not None else self._last_seq()
        cursor = self._cursor if self._cursor is not None else self._confirmed_upto
        room = self.window - len(self._inflight)
        if self.require_platform_ack:
            room = min(room, self.max_unconfirmed - (cursor - self._confirmed_upto))
        if room <= 0:
            return 0
        rows = self.store.query(
            "SELECT seq, event_seq, kind, payload, created_at, withheld FROM outbox"
            " WHERE seq > ? AND confirmed_at IS NULL ORDER BY seq LIMIT ?",
            (cursor, room),
        )
        now = self.store.clock.now()
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
            self._highest_published = max(self._highest_published, row["seq"])
            if self.require_platform_ack:
                self._unconfirmed.append((row["seq"], now))
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
        # Without the platform's acknowledgement, the broker's PUBACK is all there is.
        sql = (
            "UPDATE outbox SET sent_at = COALESCE(sent_at, ?) WHERE seq = ?"
            if self.require_platform_ack
            else "UPDATE outbox SET sent_at = COALESCE(sent_at, ?), confirmed_at = ?"
            " WHERE seq = ? AND confirmed_at IS NULL"
        )
        params = [(now, s) if self.require_platform_ack else (now, now, s) for s in done]
        with self.store.transaction() as c:
            c.executemany(sql, params)
        for s in done:
            del self._inflight[s]
        self.stats.acknowledged += len(done)
        if not self.require_platform_ack:
            self.stats.confirmed += len(done)

    def _mark_withheld(self, seq: int, why: str) -> None:
        log.warning("outbox record %s withheld: %s", seq, why)
        with self.store.transaction() as c:
            c.execute("UPDATE outbox SET withheld = ? WHERE seq = ?", (why[:200], seq))

    def prune(self, keep_sent_s: float) -> int:
        """Delete confirmed rows older than ``keep_sent_s``; the newest row always stays, so
        that sequence numbers are never reused."""
        cutoff = self.store.clock.now() - keep_sent_s
        with self.store.transaction() as c:
            return int(
                c.execute(
                    "DELETE FROM outbox WHERE confirmed_at IS NOT NULL AND confirmed_at < ?"
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
    """What waits (never taken by the broker), what the broker took but the platform has not
    confirmed, and what is confirmed; the first keys are those of the PUBACK-only contract."""
    row = store.query(
        "SELECT COUNT(*) AS unsent, MIN(seq) AS oldest_seq, MIN(created_at) AS oldest_at,"
        " COALESCE(SUM(LENGTH(payload)), 0) AS bytes FROM outbox WHERE sent_at IS NULL"
    )[0]
    last = store.query("SELECT MAX(seq) AS seq, MAX(sent_at) AS at FROM outbox WHERE sent_at > 0")[
        0
    ]
    withheld = store.query("SELECT COUNT(*) AS n FROM outbox WHERE withheld IS NOT NULL")[0]
    open_ = store.query(
        "SELECT COUNT(*) AS n, MIN(seq) AS oldest_seq, MIN(created_at) AS oldest_at,"
        " COUNT(sent_at) AS sent FROM outbox WHERE confirmed_at IS NULL"
    )[0]
    total = store.query("SELECT COUNT(*) AS n FROM outbox")[0]
    confirmed = store.query(
        "SELECT MAX(seq) AS seq, MAX(confirmed_at) AS at FROM outbox WHERE confirmed_at > 0"
    )[0]
    now = store.clock.now()
    return {
        "unsent": row["unsent"],
        "unsent_bytes": row["bytes"],
        "oldest_unsent_seq": row["oldest_seq"],
        "oldest_unsent_age_s": (now - row["oldest_at"]) if row["oldest_at"] else 0.0,
        "last_sent_seq": last["seq"],
        "last_sent_at": last["at"],
        "withheld": withheld["n"],
        "waiting": row["unsent"],
        "unconfirmed": open_["sent"],
        "confirmed": total["n"] - open_["n"],
        "oldest_unconfirmed_seq": open_["oldest_seq"],
        "oldest_unconfirmed_age_s": (now - open_["oldest_at"]) if open_["oldest_at"] else 0.0,
        "last_confirmed_seq": confirmed["seq"],
        "last_confirmed_at": confirmed["at"],
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
    # the last ``upto`` acknowledged, and whether the box should hear it again (a duplicate
    # means the box missed an acknowledgement or resent after a timeout)
    acked: int | None = None
    ack_again: bool = False


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
                st.ack_again = True
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

    def acked_upto(self, site: str) -> int | None:
        """The highest sequence number below which this platform holds every record of
        ``site``: what its acknowledgement says."""
        st = self.sites.get(site)
        if st is None or st.next_seq is None:
            return None
        return st.next_seq - 1

    def acks_due(self) -> list[tuple[str, int]]:
        """The acknowledgements to publish now: one per site whose contiguous prefix grew, or
        that sent a duplicate, since the last call. A real platform calls this only after the
        records it covers are committed to durable storage."""
        due = []
        with self._lock:
            for site, st in self.sites.items():
                if st.next_seq is None:
                    continue
                upto = st.next_seq - 1
                if upto != st.acked or st.ack_again:
                    st.acked, st.ack_again = upto, False
                    due.append((site, upto))
        return due


class PlatformLink:
    """The platform's end on the upstream broker (reference): subscribes to every site's
    outbox, feeds a ``PlatformConsumer`` and publishes each site's cumulative acknowledgement on
    ``<prefix>/<site>/ack`` at QoS 1, retained (so a box that reconnects hears it at once),
    at most every ``ack_interval_s``."""

    def __init__(
        self,
        bus: Bus,
        consumer: PlatformConsumer,
        prefix: str = "city",
        ack_interval_s: float = 0.05,
        on_message: Callable[[Message], object] | None = None,
    ) -> None:
        self.bus = bus
        self.consumer = consumer
        self.prefix = prefix
        self.ack_interval_s = ack_interval_s
        self.acks_sent = 0
        self._on_message = on_message
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        bus.subscribe(f"{prefix}/+/outbox", self._receive)

    def _receive(self, msg: Message) -> None:
        if self._on_message is not None:
            self._on_message(msg)
        self.consumer.receive(msg.payload)

    def flush(self) -> int:
        """Publish the acknowledgements that are due; returns how many."""
        if not self.bus.connected:
            return 0
        n = 0
        for site, upto in self.consumer.acks_due():
            self.bus.publish(
                ack_topic(self.prefix, site), ack_message(site, upto), qos=1, retain=True
            )
            n += 1
        self.acks_sent += n
        return n

    def start(self) -> PlatformLink:
        self._thread = threading.Thread(target=self._run, name="platform-acks", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.ack_interval_s):
            try:
                self.flush()
            except Exception:
                log.exception("platform acknowledgement failed")
