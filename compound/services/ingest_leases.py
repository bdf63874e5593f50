"""One ingest worker's share of the sites (``compound platform ingest`` run several times): the
buckets it leases in PostgreSQL (``compound.domain.ingest_partition``), renewed every
``lease_s / 3`` on a thread and a database connection of their own, so that a long commit on
the ingest's thread never lets a lease run out (a lease that ran out under load moved buckets
between live workers, and every move made their boxes send again).

``owns(site)`` is asked on the network thread for every record, so it reads a frozen set. The
ingest takes the buckets gained and lost since it last asked with ``changes()``.
"""

from __future__ import annotations

import logging
import threading
import time

from compound.adapters.platform_db import PlatformDb
from compound.domain.ingest_partition import BUCKETS, bucket_of, plan

log = logging.getLogger(__name__)


class WorkerLeases:
    def __init__(
        self, dsn: str, worker: str, *, buckets: int = BUCKETS, lease_s: float = 5.0
    ) -> None:
        if buckets < 1 or lease_s <= 0:
            raise ValueError("buckets must be at least 1 and lease_s positive")
        self.dsn = dsn
        self.worker = worker
        self.buckets = buckets
        self.lease_s = lease_s
        self.renew_s = lease_s / 3
        self.owned: frozenset[int] = frozenset()
        self._lock = threading.Lock()
        self._gained: set[int] = set()
        self._lost: set[int] = set()
        self._db: PlatformDb | None = None

    def owns(self, site: str) -> bool:
        # Kept while a renewal is late: if another worker took the bucket meanwhile, the
        # commit's row lock keeps the two from storing anything twice, and the next renewal
        # says it is gone.
        return bucket_of(site, self.buckets) in self.owned

    def renew(self) -> None:
        """Renew, give back, take (one transaction); the changes wait for ``changes()``."""
        if self._db is None:
            self._db = PlatformDb(self.dsn)
        now_owned = self._db.renew_leases(
            self.worker,
            self.buckets,
            self.lease_s,
            lambda owned, live: plan(owned, self.buckets, live),
        )
        with self._lock:
            before = self.owned
            self.owned = now_owned
            gained, lost = now_owned - before, before - now_owned
            self._gained = (self._gained - lost) | gained
            self._lost = (self._lost - gained) | lost
        if gained or lost:
            log.info(
                "ingest %s: %d buckets (+%d, -%d)",
                self.worker,
                len(now_owned),
                len(gained),
                len(lost),
            )

    def changes(self) -> tuple[frozenset[int], frozenset[int]]:
        """(buckets gained, buckets lost) since the last call."""
        with self._lock:
            out = frozenset(self._gained), frozenset(self._lost)
            self._gained, self._lost = set(), set()
        return out

    def run(self, stop: threading.Event) -> None:
        while True:
            started = time.monotonic()
            try:
                self.renew()
            except Exception as e:
                log.warning("ingest %s: leases not renewed: %s", self.worker, e)
                self._drop_connection()
            if stop.wait(max(0.0, self.renew_s - (time.monotonic() - started))):
                break
        self.leave()

    def start(self, stop: threading.Event) -> threading.Thread:
        t = threading.Thread(target=self.run, args=(stop,), name="ingest-leases", daemon=True)
        t.start()
        return t

    def _drop_connection(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except Exception:  # noqa: S110 (already broken; a new one is made next time)
                pass
            self._db = None

    def leave(self) -> None:
        """Give every bucket back at once (a clean stop), rather than when the lease ends."""
        with self._lock:
            self.owned = frozenset()
        try:
            if self._db is None:
                self._db = PlatformDb(self.dsn)
            self._db.leave(self.worker)
        except Exception as e:
            log.warning("ingest %s: leases not given back (they run out): %s", self.worker, e)
        finally:
            self._drop_connection()
