"""Sites shared among several ``compound platform ingest`` workers (pure).

Every site falls into one of ``buckets`` fixed buckets (a stable hash of its id); each bucket is
leased to one worker at a time in PostgreSQL. A worker takes only its buckets' records from the
cluster and leaves the others to their owners. Each worker aims at its fair share
(``ceil(buckets / live workers)``): one that holds more gives the extra back, one that holds
fewer takes free or expired buckets, so a worker that starts gets its part within a lease
renewal and the buckets of a worker that died (its lease not renewed) are taken by the others
once the lease runs out. Correctness does not rest on the leases: the commit locks the site's
row and refuses anything but its ``next_seq``, so two workers that both think they own a site
for a moment still commit each record once.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

BUCKETS = 64


def bucket_of(site: str, buckets: int = BUCKETS) -> int:
    """The bucket of a site: the same on every worker and every run (not Python's hash)."""
    return zlib.crc32(site.encode("utf-8")) % buckets


def site_of_topic(topic: str) -> str | None:
    """The site of ``<prefix>/<site>/outbox``, or None for anything else."""
    parts = topic.split("/")
    return parts[1] if len(parts) == 3 and parts[1] else None


def fair_share(buckets: int, live_workers: int) -> int:
    return math.ceil(buckets / max(1, live_workers))


@dataclass(frozen=True)
class LeasePlan:
    release: tuple[int, ...]  # buckets to give back
    claim: int  # how many free or expired buckets to take


def plan(owned: frozenset[int], buckets: int, live_workers: int) -> LeasePlan:
    """What a worker holding ``owned`` does at a renewal, with ``live_workers`` alive (itself
    included)."""
    fair = fair_share(buckets, live_workers)
    if len(owned) > fair:
        return LeasePlan(tuple(sorted(owned)[fair:]), 0)
    return LeasePlan((), fair - len(owned))
