"""The city platform's ingest (``compound platform ingest``): every site's records from the
upstream broker (the city cluster's MQTT gateway) into PostgreSQL, exactly once, in order.

Per site it keeps ``next_seq`` in the database, moved on in the same transaction as the records
it covers; the cumulative acknowledgement (``{"site": ..., "upto": next_seq - 1}``, retained,
QoS 1) is published only after that commit. A record below ``next_seq`` is a duplicate (the box
resent it, or another worker committed it): not stored again, and the acknowledgement is
repeated so the box hears it. A record above ``next_seq`` waits in memory; the site is asked to
"resend from N" (``<prefix>/<site>/resend``, ``{"site": ..., "from": N}``) at most every
``resend_interval_s``, and whatever is lost in memory when a worker dies the box sends again
because it was never acknowledged. A record without site, seq or id, or one carrying biometric
data or an unmasked ID number (the box's own guard, checked again here), is refused and
counted: nothing of it is written.
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
from compound.domain.uplink_records import Withheld, ack_message, ack_topic, guard
from compound.domain.uplink_resend import resend_message, resend_topic

log = logging.getLogger(__name__)

MAX_PENDING = 20_000  # out-of-order records held per site; beyond that the box resends


@dataclass
class IngestStats:
    received: int = 0
    committed: int = 0
    duplicates: int = 0
    refused: int = 0
    resend_requests: int = 0
    acks: int = 0
    commit_failures: int = 0


@dataclass
class _Site:
    next_seq: int | None = None
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)
    ack_again: bool = False
    asked_at: float = 0.0


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
        on_commit: Callable[[dict[str, int]], None] | None = None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.prefix = prefix
        self.batch = batch
        self.linger_s = linger_s
        self.resend_interval_s = resend_interval_s
        self.stats = IngestStats()
        self._on_commit = on_commit
        self._queue: queue.Queue[bytes] = queue.Queue()
        self._sites: dict[str, _Site] = {s: _Site(next_seq=n) for s, n in db.next_seqs().items()}
        bus.subscribe(f"{prefix}/+/outbox", self._receive)

    def _receive(self, msg: Message) -> None:
        self._queue.put(msg.payload)

    # -- one step --------------------------------------------------------------------------

    def step(self, wait_s: float = 0.2) -> int:
        """Take what arrived (up to ``batch``), commit what is in order; returns records
        committed."""
        got: list[bytes] = []
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
        for payload in got:
            self._admit(payload)
        return self._commit()

    def _admit(self, payload: bytes) -> None:
        self.stats.received += 1
        try:
            env = json.loads(payload)
            site, seq, _ = str(env["site"]), int(env["seq"]), str(env["id"])
            if "record" in env:
                guard(env["record"])
            elif "withheld" not in env:
                raise ValueError("neither record nor withheld")
        except (ValueError, KeyError, TypeError, Withheld) as e:
            self.stats.refused += 1
            log.warning("ingest: refused a record: %s", e)
            return
        st = self._sites.setdefault(site, _Site())
        if (st.next_seq is not None and seq < st.next_seq) or seq in st.pending:
            self.stats.duplicates += 1
            st.ack_again = True
            return
        if len(st.pending) < MAX_PENDING:
            st.pending[seq] = env

    def _commit(self) -> int:
        batches: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        for site, st in self._sites.items():
            if st.next_seq is None and st.pending:
                st.next_seq = min(st.pending)  # a site never seen: it starts where it starts
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
                st.next_seq, st.ack_again = nxt, False
                self._publish_ack(site, nxt - 1)
            if self._on_commit is not None:
                self._on_commit(committed)
        else:
            n_new = 0
        self._ask_for_gaps()
        return n_new

    def _reconnect(self) -> None:
        try:
            self.db.reconnect()
        except Exception as e:
            log.warning("ingest: database not back yet: %s", e)
            time.sleep(0.5)

    def _publish_ack(self, site: str, upto: int) -> None:
        if upto < 0 or not self.bus.connected:
            return
        self.bus.publish(ack_topic(self.prefix, site), ack_message(site, upto), qos=1, retain=True)
        self.stats.acks += 1

    def _ask_for_gaps(self) -> None:
        now = time.monotonic()
        for site, st in self._sites.items():
            if not st.pending or st.next_seq is None or st.next_seq in st.pending:
                continue
            if now - st.asked_at < self.resend_interval_s or not self.bus.connected:
                continue
            st.asked_at = now
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

    def start(self, stop: threading.Event) -> threading.Thread:
        t = threading.Thread(target=self.run, args=(stop,), name="platform-ingest", daemon=True)
        t.start()
        return t
