"""Store-and-forward to the city / police platform (``compound uplink run``).

The outbox is filled in the same transaction as the event it records. This service drains it in
sequence order to the upstream broker over MQTT with TLS, at QoS 1, with at most ``window``
records awaiting their PUBACK. The PUBACK only says the broker took the record (``sent_at``, used
for flow control): a broker that dies before forwarding it loses it. A record is done
(``confirmed_at``) when the platform's cumulative acknowledgement on ``<prefix>/<site>/ack``,
``{"site": ..., "upto": N}`` ("I hold every record up to N"), covers it. Records sent but not
confirmed within ``confirm_timeout_s``, and after every reconnect, are sent again from the oldest
unconfirmed, in order; every record carries the site's sequence number and an idempotent id, and
the platform (``uplink_platform.PlatformConsumer``) drops duplicates and sees gaps. A platform
that sees a gap asks on ``<prefix>/<site>/resend`` (``{"site": ..., "from": N}``): everything
below N counts as acknowledged and sending starts again from the oldest unconfirmed. Resends
are paced (``compound.domain.uplink_pacing``): the confirm timeout counts from the last progress
(the acknowledgement moving on), not from when the oldest record went out, and each resend the
box starts, by a timeout or on request, makes the next wait longer (doubling, jittered, at most
``backoff_cap_s``) until the acknowledgement moves again; requests inside the wait are answered
once when it is over. A timeout resends one window first (a probe, like TCP's): if the
acknowledgement moves past it, the platform was slow, not losing, and sending goes on after what
was sent before; if it stays at the probe's end for a whole timeout, the rest is sent again. So
a long platform backlog is not flooded with resends. With ``require_platform_ack=False`` (a
platform that does not acknowledge) the PUBACK counts as the confirmation, as before.

Unconfirmed rows are never pruned, so an outage lasts as long as the disk allows (see
docs/scaling.md for rows and bytes per hour). A record that carries anything biometric, or an
unmasked ID number, is withheld: the platform receives a tombstone with the same sequence
number instead, so its stream has no hole and nothing sensitive crosses the wire. The records,
that guard and the acknowledgement's format are pure values in ``compound.domain.uplink_records``.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from dataclasses import dataclass

from compound.adapters.mqtt import Bus, Delivery, Message
from compound.domain.uplink_pacing import Backoff, ResendGate
from compound.domain.uplink_records import (
    ack_last_id,
    ack_topic,
    envelope,
    parse_ack,
    record_id,
    topic,
)
from compound.domain.uplink_resend import parse_resend, resend_topic
from compound.services.uplink_status import status as status  # where callers look for it
from compound.store.db import Store

log = logging.getLogger(__name__)


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
    resend_requests: int = 0
    resend_requests_held: int = 0
    resends_skipped: int = 0
    resends_after_probe: int = 0  # the rest, sent again after a probe stopped the acknowledgement


class UplinkSender:
    """Drains the outbox to the upstream bus in order, with a bounded in-flight window.
    ``require_platform_ack`` is False by default here (the PUBACK-only contract of older callers);
    ``compound uplink run`` passes ``[uplink] require_platform_ack`` (true by default)."""

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
        backoff_cap_s: float = 120.0,
        rng: random.Random | None = None,
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
        rng = rng or random.Random()  # noqa: S311 (jitter, not a secret)
        cap = max(backoff_cap_s, confirm_timeout_s)
        # the confirm timeout, longer after each one that fired without progress
        self._timeout = Backoff(confirm_timeout_s, cap, rng=rng)
        # answering the platform's resend requests: once per wait, coalesced
        self._gate = ResendGate(Backoff(min(1.0, confirm_timeout_s), cap, rng=rng))
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
        # when the acknowledgement last moved on (clock time; set on the network thread when it
        # is heard, so that a slow pump does not count as the platform being slow)
        self._acked_at: float | None = None
        self._progress_at = 0.0
        # (upto, the id the platform holds for record upto) of the highest acknowledgement, when
        # it names one; checked against this box's own record before anything is confirmed
        self._acked_id: tuple[int, str] | None = None
        self._verified = 0
        # after a timeout: (last seq of the probe, highest seq published before the timeout)
        self._probe: tuple[int, int] | None = None
        # the platform asked to send again from this seq (it saw a gap); network thread
        self._resend_from: int | None = None
        if require_platform_ack:
            # QoS 0: the acknowledgement is cumulative and retained, a lost one is covered by
            # the next one (or the confirm timeout); and a QoS 0 subscription costs a clustered
            # broker no replicated consumer, which on NATS also had to move when a node died
            # (boxes that moved to another node heard no acknowledgement for minutes)
            bus.subscribe(self.ack_topic, self._on_ack, qos=0)
            bus.subscribe(resend_topic(prefix, site), self._on_resend, qos=0)

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
            if upto > self._acked:
                self._acked_at = self.store.clock.now()
                last_id = ack_last_id(msg.payload)
                self._acked_id = None if last_id is None else (upto, last_id)
            self._acked = max(self._acked, upto)

    def _on_resend(self, msg: Message) -> None:
        """ "Resend from N": the platform holds everything below N (an acknowledgement of
        N - 1) and misses N; the next step sends again from the oldest unconfirmed."""
        n = parse_resend(msg.payload, self.site)
        with self._ack_lock:
            if n is None:
                self.stats.acks_refused += 1
                return
            self.stats.resend_requests += 1
            if n - 1 > self._acked:
                self._acked_at = self.store.clock.now()
            self._acked = max(self._acked, n - 1)
            self._resend_from = n

    def acknowledge(self, upto: int) -> None:
        """Take a platform acknowledgement that came some other way (same rules as the topic)."""
        with self._ack_lock:
            self._acked = max(self._acked, upto)

    def _apply_acks(self) -> None:
        with self._ack_lock:
            acked, acked_at, acked_id = self._acked, self._acked_at, self._acked_id
        if acked_id is not None and acked_id[0] == acked and self._confirmed_upto < acked:
            if acked != self._verified and not self._is_mine(*acked_id):
                with self._ack_lock:
                    self.stats.acks_refused += 1
                    if self._acked == acked:
                        self._acked, self._acked_id = self._confirmed_upto, None
                return
            self._verified = acked
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
        self._progress_at = max(self._progress_at, acked_at if acked_at is not None else now)
        self._timeout.reset()
        self._gate.progress(upto)
        if self._cursor is not None:
            self._cursor = max(self._cursor, upto)
        while self._unconfirmed and self._unconfirmed[0][0] <= upto:
            self._unconfirmed.popleft()
        if self._probe is not None and upto >= self._probe[0]:
            probe_end, resume = self._probe
            more = self._cursor is not None and resume > self._cursor
            if upto == probe_end and more:
                # Exactly the probe's end: the first sending went out in windows too, so its
                # next window may be right behind. Lost only if it stays here a whole timeout.
                self._unconfirmed.append((probe_end + 1, self._progress_at))
                return
            self._probe = None
            if more and self._cursor is not None:
                # past the probe: the platform is getting the first sending, just late
                self.stats.resends_skipped += resume - self._cursor
                self._cursor = resume
                self._unconfirmed.append((resume, self._progress_at))

    def _is_mine(self, seq: int, platform_id: str) -> bool:
        """Whether the platform's record ``seq`` is this box's (the same id)."""
        row = self.store.one("SELECT seq, event_seq, kind FROM outbox WHERE seq = ?", (seq,))
        if row is not None and record_id(self.site, row) == platform_id:
            return True
        log.warning(
            "uplink: the platform acknowledges #%d as %r, which is not this box's record;"
            " not taken (a box that replaced another under the same site id?)",
            seq,
            platform_id,
        )
        return False

    def _go_back(self, why: str, *, probe: bool = False) -> None:
        """Send again from the oldest unconfirmed, in order (``probe``: one window of it)."""
        last = self._cursor if self._cursor is not None else self._highest_published
        pending = max(0, last - self._confirmed_upto)
        # A timeout during a probe: the cursor is the probe's end, but the first sending went
        # further; keep that, or the acknowledgement passing the probe sends it all again.
        resume = max(last, self._probe[1]) if probe and self._probe is not None else last
        self._probe = (self._confirmed_upto + self.window, resume) if probe else None
        if probe:
            pending = min(pending, self.window)
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
            with self._ack_lock:
                resend, self._resend_from = self._resend_from, None
            now = self.store.clock.now()
            if resend is not None and self._cursor is not None and self._cursor >= resend:
                if not self._gate.request(resend, now):
                    self.stats.resend_requests_held += 1
                    resend = None
            elif self._cursor is not None:
                resend = self._gate.due(now)
                if resend is not None and (self._cursor < resend or resend <= self._confirmed_upto):
                    resend = None
            if self._cursor is None:
                self._go_back("new connection")
            elif resend is not None:
                self._go_back(f"the platform asked to resend from #{resend}")
            elif self._unconfirmed and now - self._since() >= self._timeout.delay:
                self.stats.timeouts += 1
                waited = self._timeout.delay
                self._timeout.bump()
                self._gate.started(now)
                if self._probe is not None and self._confirmed_upto >= self._probe[0]:
                    # the acknowledgement stopped at the probe's end: the rest was lost
                    rest = max(0, self._probe[1] - self._confirmed_upto)
                    self.stats.resends += rest
                    self.stats.resends_after_probe += rest
                    self._go_back(f"stopped at the probe's end for {waited:.3g} s")
                else:
                    self._go_back(f"no progress within {waited:.3g} s", probe=True)
        elif self._cursor is None:
            row = self.store.one("SELECT MIN(seq) AS s FROM outbox WHERE confirmed_at IS NULL")
            self._cursor = (row["s"] - 1) if row and row["s"] is not None else self._last_seq()
        cursor = self._cursor if self._cursor is not None else self._confirmed_upto
        room = self.window - len(self._inflight)
        if self.require_platform_ack:
            room = min(room, self.max_unconfirmed - (cursor - self._confirmed_upto))
            if self._probe is not None:
                room = min(room, self._probe[0] - cursor)
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

    def _since(self) -> float:
        """Where the confirm timeout counts from: the oldest unconfirmed record going out, or
        the acknowledgement last moving on, whichever is later."""
        return max(self._unconfirmed[0][1], self._progress_at)

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
