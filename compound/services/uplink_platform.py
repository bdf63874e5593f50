"""The city platform's end of the uplink (a reference, used by the tests, the benches and the
demo's platform): it takes every site's records from the upstream broker, drops duplicates,
releases each site's records in sequence order, reports gaps, and publishes each site's
cumulative acknowledgement so that the box can mark its outbox rows confirmed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from compound.adapters.mqtt import Bus, Message
from compound.domain.uplink_records import SiteStream, ack_message, ack_topic

log = logging.getLogger(__name__)


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
            if not st.admit(seq, id_, env):
                return "duplicate"
            for rec in st.release():
                if self._on_record is not None:
                    self._on_record(rec)
            return "new"

    def gaps(self, site: str) -> list[int]:
        st = self.sites.get(site)
        return [] if st is None else st.gaps()

    def acked_upto(self, site: str) -> int | None:
        """The highest sequence number below which this platform holds every record of
        ``site``: what its acknowledgement says."""
        st = self.sites.get(site)
        return None if st is None else st.acked_upto()

    def acks_due(self) -> list[tuple[str, int]]:
        """The acknowledgements to publish now: one per site whose contiguous prefix grew, or
        that sent a duplicate, since the last call. A real platform calls this only after the
        records it covers are committed to durable storage."""
        due = []
        with self._lock:
            for site, st in self.sites.items():
                upto = st.ack_due()
                if upto is not None:
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
