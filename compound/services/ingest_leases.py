"""One ingest worker's share of the sites (``compound platform ingest`` run several times): the
buckets it leases in PostgreSQL (``compound.domain.ingest_partition``), renewed every
``lease_s / 3`` from the ingest's own thread and connection.

``owns(site)`` is asked on the network thread for every record, so it reads a frozen set.
"""

from __future__ import annotations

import logging
import time

from compound.adapters.platform_db import PlatformDb
from compound.domain.ingest_partition import BUCKETS, bucket_of, plan

log = logging.getLogger(__name__)


class WorkerLeases:
    def __init__(
        self, db: PlatformDb, worker: str, *, buckets: int = BUCKETS, lease_s: float = 5.0
    ) -> None:
        if buckets < 1 or lease_s <= 0:
            raise ValueError("buckets must be at least 1 and lease_s positive")
        self.db = db
        self.worker = worker
        self.buckets = buckets
        self.lease_s = lease_s
        self.renew_s = lease_s / 3
        self.owned: frozenset[int] = frozenset()
        self._valid_until = 0.0
        self._next = 0.0

    def owns(self, site: str) -> bool:
        # Not cut off when the lease may have run out: a busy worker would drop records of its
        # own sites; if another worker took the bucket meanwhile, the commit's row lock keeps
        # the two from storing anything twice, and the next renewal says it is gone.
        return bucket_of(site, self.buckets) in self.owned

    def due(self) -> bool:
        return time.monotonic() >= self._next

    def renew(self) -> tuple[frozenset[int], frozenset[int]]:
        """Renew, give back, take; returns (buckets gained, buckets lost)."""
        started = time.monotonic()
        self._next = started + self.renew_s
        before = self.owned if started < self._valid_until else frozenset()
        now_owned = self.db.renew_leases(
            self.worker,
            self.buckets,
            self.lease_s,
            lambda owned, live: plan(owned, self.buckets, live),
        )
        self.owned = now_owned
        # a margin below the lease: another worker takes a bucket only after it has expired
        self._valid_until = started + self.lease_s * 0.8
        gained, lost = now_owned - before, before - now_owned
        if gained or lost:
            log.info(
                "ingest %s: %d buckets (+%d, -%d)",
                self.worker,
                len(now_owned),
                len(gained),
                len(lost),
            )
        return gained, lost

    def lapsed(self) -> bool:
        """The leases may have run out: nothing is owned until the next renewal."""
        return time.monotonic() >= self._valid_until

    def leave(self) -> None:
        self.owned = frozenset()
        self._valid_until = 0.0
        self.db.leave(self.worker)
