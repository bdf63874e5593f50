"""The city platform's ingest (``compound platform ingest``): every site's records from the
upstream broker (the city cluster's MQTT gateway) into PostgreSQL, exactly once, in order.

Per site it keeps ``next_seq`` in the database, moved on in the same transaction as the records
it covers; the cumulative acknowledgement (``{"site": ..., "upto": next_seq - 1}``, retained,
QoS 1) is published only after that commit. A record below ``next_seq`` is a duplicate (the box
resent it, or another worker committed it): not stored again, and the acknowledgement is
repeated so the box hears it. A record above ``next_seq`` waits in memory; the site is asked to
"resend from N" (``<prefix>/<site>/resend``, ``{"site": ..., "from": N}``) once, and again for
the same N only after a wait that doubles each time (``resend_interval_s`` up to
``resend_cap_s``, jittered: the resent records may be behind a long backlog), back to the short
wait once ``next_seq`` moves; whatever is lost in memory when a worker dies the box sends again
because it was never acknowledged. A record without site, seq or id, or one carrying biometric
data or an unmasked ID number (the box's own guard, checked again here), or naming another site
than the topic it came on (the broker lets a site's credential publish only on its own topic, so
the topic is who sent it), is refused: nothing of it is written, and it is counted per site and
reason in ``uplink_refused`` for the district view.

Several workers can run at once: given ``leases`` (``WorkerLeases``), a worker takes only the
records of the sites in its leased buckets (the others are left on the network thread, by
topic, before decoding) and, when it gains buckets (at start, or from a worker that died or
left), reads their sites' ``next_seq`` again and asks each of them to resend from there, so what
the previous owner held in memory comes back at once instead of after the boxes' timeout.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compound.adapters.mqtt import Bus, Message
from compound.adapters.platform_db import PlatformDb
from compound.domain.ingest_partition import bucket_of, site_of_topic
from compound.domain.refusals import BACKWARDS, MALFORMED, SENSITIVE, UNREGISTERED, WRONG_SITE
from compound.domain.uplink_pacing import Backoff
from compound.domain.uplink_records import Withheld, ack_message, ack_topic, guard
from compound.domain.uplink_resend import resend_message, resend_topic
from compound.services.ingest_leases import WorkerLeases

log = logging.getLogger(__name__)

MAX_PENDING = 20_000  # out-of-order records held per site; beyond that the box resends

__all__ = ["BACKWARDS", "Ingest", "IngestStats"]


class _Refused(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass
class IngestStats:
    received: int = 0
    committed: int = 0
    duplicates: int = 0
    refused: int = 0
    resend_requests: int = 0
    resend_requests_held: int = 0
    acks: int = 0
    commit_failures: int = 0
    not_mine: int = 0


@dataclass
class _Site:
    next_seq: int | None = None
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)
    ack_again: bool = False
    last_id: tuple[int, str] | None = None  # (seq, id) of the last record committed
    asked_at: float | None = None
    asked_for: int | None = None
    backoff: Backoff | None = None


class Ingest:
    def __init__(
        self,
        db: PlatformDb,
        bus: Bus,
        prefix: str = "city",
        *,
        batch: int = 2000,
        linger_s: float = 0.02,
        resend_interval_s: float = 1.0,
        resend_cap_s: float = 30.0,
        on_commit: Callable[[dict[str, int]], None] | None = None,
        leases: WorkerLeases | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        registered_only: bool = False,
    ) -> None:
        self.db = db
        self.bus = bus
        self.prefix = prefix
        self.batch = batch
        self.linger_s = linger_s
        self.resend_interval_s = resend_interval_s
        self.resend_cap_s = max(resend_cap_s, resend_interval_s)
        self.stats = IngestStats()
        self._on_commit = on_commit
        self.leases = leases
        self._lease_thread: threading.Thread | None = None
        self._monotonic = monotonic  # paces resend requests; a test moves it
        self._queue: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._refused: dict[tuple[str, str], int] = {}
        self._dup_ids: list[tuple[str, int, str]] = []
        # with registered_only, a site not in uplink_sites is refused; when it was last looked up
        self.registered_only = registered_only
        self._unregistered: dict[str, float] = {}
        self._sites: dict[str, _Site] = {s: _Site(next_seq=n) for s, n in db.next_seqs().items()}
        bus.subscribe(f"{prefix}/+/outbox", self._receive)

    def _receive(self, msg: Message) -> None:
        if self.leases is not None:
            site = site_of_topic(msg.topic)
            if site is None or not self.leases.owns(site):
                self.stats.not_mine += 1
                return
        self._queue.put((msg.topic, msg.payload))

    # -- one step --------------------------------------------------------------------------

    def step(self, wait_s: float = 0.2) -> int:
        """Take what arrived (up to ``batch``), commit what is in order; returns records
        committed."""
        if self.leases is not None:
            gained, lost = self.leases.changes()
            if gained or lost:
                self._lease_changes(self.leases.buckets, gained, lost)
        got: list[tuple[str, bytes]] = []
        try:
            got.append(self._queue.get(timeout=wait_s))
        except queue.Empty:
            return self._commit()
        deadline = time.monotonic() + self.linger_s
        while len(got) < self.batch:
            try:
                got.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        for topic, payload in got:
            self._admit(topic, payload)
        return self._commit()

    def _admit(self, topic: str, payload: bytes) -> None:
        self.stats.received += 1
        sender = site_of_topic(topic) or "?"
        try:
            env = json.loads(payload)
            site, seq, id_ = str(env["site"]), int(env["seq"]), str(env["id"])
            if site != sender:
                raise _Refused(WRONG_SITE, site)
            if "record" in env:
                guard(env["record"])
            elif "withheld" not in env:
                raise ValueError("neither record nor withheld")
        except (ValueError, KeyError, TypeError, Withheld, _Refused) as e:
            reason = (
                e.reason
                if isinstance(e, _Refused)
                else SENSITIVE
                if isinstance(e, Withheld)
                else MALFORMED
            )
            self._refuse(sender, reason)
            log.warning("ingest: refused a record from %s: %s", sender, e)
            return
        if self.leases is not None and not self.leases.owns(site):
            self.stats.not_mine += 1  # queued before its bucket went to another worker
            return
        st = self._sites.get(site)
        if st is None:
            # First sight here: where the database has it (another worker or an earlier life
            # may have committed it), else at 1, the first record of a box. Never where its
            # first record to arrive happens to be: that would acknowledge what never came.
            nxt = self._registered_next_seq(site)
            if nxt is None and self.registered_only:
                self._refuse(site, UNREGISTERED)
                return
            st = self._sites[site] = _Site(next_seq=nxt or 1)
        if seq in st.pending and st.pending[seq]["id"] != id_:
            self._refuse(site, BACKWARDS)
            return
        if (st.next_seq is not None and seq < st.next_seq) or seq in st.pending:
            self.stats.duplicates += 1
            st.ack_again = True
            if seq not in st.pending and len(self._dup_ids) < 5000:
                self._dup_ids.append((site, seq, id_))  # checked against the stored id
            return
        if len(st.pending) < MAX_PENDING:
            st.pending[seq] = env

    def _registered_next_seq(self, site: str) -> int | None:
        """The site's next_seq in the database; an unregistered site is looked up again only
        every 10 s (a flood from one must not cost a query a record)."""
        now = time.monotonic()
        if self.registered_only and now - self._unregistered.get(site, -1e9) < 10.0:
            return None
        nxt = self.db.next_seq(site)
        if nxt is None:
            if len(self._unregistered) > 10_000:
                self._unregistered.clear()
            self._unregistered[site] = now
        return nxt

    def _refuse(self, site: str, reason: str) -> None:
        self.stats.refused += 1
        self._refused[(site, reason)] = self._refused.get((site, reason), 0) + 1

    def _check_duplicates(self) -> None:
        """A "duplicate" whose id differs from the stored record of that number is a box that
        started its sequence again (a replaced database): refused, not acknowledged again."""
        dups, self._dup_ids = self._dup_ids, []
        try:
            wrong = self.db.other_ids(dups)
        except Exception as e:
            log.warning("ingest: ids of duplicates not checked: %s", e)
            return
        for site, seq in wrong:
            self.stats.duplicates -= 1
            self._refuse(site, BACKWARDS)
            log.warning("ingest: %s #%d has another id than the record stored", site, seq)
            if site in self._sites:
                self._sites[site].ack_again = False

    def _commit(self) -> int:
        if self._dup_ids:
            self._check_duplicates()
        if self._refused:
            try:
                self.db.count_refused(self._refused)
                self._refused = {}
            except Exception as e:
                log.warning("ingest: refusals not counted yet: %s", e)
        batches: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        for site, st in self._sites.items():
            if st.next_seq is None:
                continue
            run, n = [], st.next_seq
            while n in st.pending:
                run.append(st.pending[n])
                n += 1
            if run or st.ack_again:
                batches[site] = (st.next_seq, run)
        if batches:
            try:
                committed, dropped = self.db.commit_batch(batches)
            except Exception:
                self.stats.commit_failures += 1
                log.exception("ingest: commit failed; retrying after a reconnect")
                self._reconnect()
                return 0
            n_new = sum(len(run) for _, run in batches.values()) - dropped
            self.stats.committed += n_new
            self.stats.duplicates += dropped
            for site, nxt in committed.items():
                st = self._sites[site]
                for s in [s for s in st.pending if s < nxt]:
                    del st.pending[s]
                if st.next_seq != nxt and st.backoff is not None:
                    st.backoff.reset()
                st.next_seq, st.ack_again = nxt, False
                run = batches[site][1]
                if run and int(run[-1]["seq"]) == nxt - 1:
                    st.last_id = (nxt - 1, str(run[-1]["id"]))
                self._publish_ack(site, nxt - 1, st)
            if self._on_commit is not None:
                self._on_commit(committed)
        else:
            n_new = 0
        self._ask_for_gaps()
        return n_new

    def _caught_up(self, site: str, st: _Site) -> bool:
        nxt = self.db.next_seq(site)
        if nxt is None or st.next_seq is None or nxt <= st.next_seq:
            return False
        st.next_seq, st.ack_again = nxt, True
        for s in [s for s in st.pending if s < nxt]:
            del st.pending[s]
        return True

    def _lease_changes(self, n: int, gained: frozenset[int], lost: frozenset[int]) -> None:
        for site in [s for s in self._sites if bucket_of(s, n) in lost]:
            del self._sites[site]
        if not gained:
            return
        try:
            seqs = self.db.next_seqs()
        except Exception as e:
            log.warning("ingest: next_seq of the buckets gained not read: %s", e)
            self._reconnect()
            return  # their sites are read one by one when their records come
        for site, nxt in seqs.items():
            if bucket_of(site, n) not in gained:
                continue
            self._sites[site] = _Site(next_seq=nxt)
            if self.bus.connected:
                self.bus.publish(resend_topic(self.prefix, site), resend_message(site, nxt), qos=1)
                self.stats.resend_requests += 1

    def _reconnect(self) -> None:
        try:
            self.db.reconnect()
        except Exception as e:
            log.warning("ingest: database not back yet: %s", e)
            time.sleep(0.5)

    def _publish_ack(self, site: str, upto: int, st: _Site) -> None:
        if upto < 0 or not self.bus.connected:
            return
        # the id of record upto as stored, so that the box can tell it is its own record
        if upto > 0 and (st.last_id is None or st.last_id[0] != upto):
            try:
                found = self.db.record_id_at(site, upto)
            except Exception as e:
                log.warning("ingest: id of %s #%d not read: %s", site, upto, e)
                found = None
            st.last_id = None if found is None else (upto, found)
        last_id = st.last_id[1] if st.last_id is not None and st.last_id[0] == upto else None
        self.bus.publish(
            ack_topic(self.prefix, site), ack_message(site, upto, last_id), qos=1, retain=True
        )
        self.stats.acks += 1

    def _ask_for_gaps(self) -> None:
        now = self._monotonic()
        for site, st in self._sites.items():
            if not st.pending or st.next_seq is None or st.next_seq in st.pending:
                continue
            if st.backoff is None:
                st.backoff = Backoff(self.resend_interval_s, self.resend_cap_s)
            wait = st.backoff.delay if st.asked_for == st.next_seq else self.resend_interval_s
            held = st.asked_at is not None and now - st.asked_at < wait
            if held or not self.bus.connected:
                if st.asked_for == st.next_seq:
                    self.stats.resend_requests_held += 1
                continue
            if st.asked_for == st.next_seq:
                # asked for this N before: maybe another worker committed it meanwhile
                if self._caught_up(site, st):
                    continue
                st.backoff.bump()  # still missing: the next ask waits longer
            st.asked_at, st.asked_for = now, st.next_seq
            self.bus.publish(
                resend_topic(self.prefix, site), resend_message(site, st.next_seq), qos=1
            )
            self.stats.resend_requests += 1

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("ingest step failed")
                stop.wait(0.5)
        if self._lease_thread is not None:
            self._lease_thread.join(10)  # it gives the buckets back

    def start(self, stop: threading.Event) -> threading.Thread:
        if self.leases is not None:
            self._lease_thread = self.leases.start(stop)
        t = threading.Thread(target=self.run, args=(stop,), name="platform-ingest", daemon=True)
        t.start()
        return t
