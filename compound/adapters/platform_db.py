"""The city platform's PostgreSQL (psycopg 3): every site's records and its durable
``next_seq``, written in one transaction, so that what is acknowledged is committed.

``commit_batch`` takes one batch of in-order records per site (each starting at the site's
``next_seq`` as this worker last read it) and, in one transaction per call, locks each site's
row, drops whatever is below the committed ``next_seq`` (another worker or an earlier life got
there first), inserts the rest idempotently by id, and moves ``next_seq`` on. It returns each
site's committed ``next_seq``: the acknowledgement to publish after the commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import psycopg

from compound.adapters.platform_district import (
    LINKS_SCHEMA,
    REFUSAL_ALARMS_SCHEMA,
    DistrictTables,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS uplink_sites (
    site text PRIMARY KEY,
    next_seq bigint NOT NULL,
    duplicates bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS uplink_records (
    site text NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL UNIQUE,
    kind text NOT NULL,
    at double precision,
    record jsonb,
    withheld text,
    committed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site, seq)
);
CREATE INDEX IF NOT EXISTS uplink_records_at ON uplink_records (site, at);
CREATE INDEX IF NOT EXISTS uplink_records_alarms ON uplink_records (site, id)
    WHERE record->>'type' IN ('alarm', 'alarm_ack');
CREATE TABLE IF NOT EXISTS uplink_refused (
    site text NOT NULL,
    reason text NOT NULL,
    count bigint NOT NULL,
    last_at timestamptz NOT NULL,
    acknowledged bigint NOT NULL DEFAULT 0,
    acknowledged_at timestamptz,
    alarm_since timestamptz,
    PRIMARY KEY (site, reason)
);
CREATE TABLE IF NOT EXISTS ingest_workers (
    worker text PRIMARY KEY,
    seen_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_leases (
    bucket int PRIMARY KEY,
    owner text,
    expires_at timestamptz NOT NULL DEFAULT 'epoch'
);
"""


DatabaseError = psycopg.Error  # what a query can raise, for callers that import no psycopg


class PlatformDbError(Exception):
    """The platform database could not be reached, or refused us: one line, where and why."""


def _where(dsn: str) -> str:
    """The database a DSN names, as ``user@host:port/db`` (never its password)."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "(the address given)"
    host = info.get("host") or info.get("hostaddr") or "local socket"
    user = info.get("user") or "?"
    return f"{user}@{host}:{info.get('port') or 5432}/{info.get('dbname') or user}"


def explain(dsn: str, e: psycopg.Error) -> PlatformDbError:
    """psycopg's message is several lines ("connection to server at ... failed: FATAL:  ...",
    a hint on the next): the reason alone, after the database it was about."""
    return PlatformDbError(f"platform database {_where(dsn)}: {_reason(e)}")


def _reason(e: psycopg.Error) -> str:
    lines = str(e).strip().splitlines()
    reason = lines[0].rsplit(" failed: ", 1)[-1] if lines else type(e).__name__
    return reason.removeprefix("FATAL:").strip() or type(e).__name__


# What a query raises when the server fails the command after the connection was made: it
# went away (restarted, the backend ended by an administrator, the network cut), or could not
# carry on (a disk full, a timeout). Not a mistake in the command.
SERVER_FAILED = (psycopg.OperationalError, psycopg.InterfaceError)


def failed_during(dsn: str, e: psycopg.Error, changing: bool) -> PlatformDbError:
    """One line for a server that failed part way through a command: the database, what it
    said, and what became of the command's work (a change whose commit was not answered may or
    may not be made; each change of the platform's commands is safe to give again)."""
    then = (
        "the change was not confirmed; run the command again (what was made is not made twice)"
        if changing
        else "nothing was changed"
    )
    return PlatformDbError(f"platform database {_where(dsn)}: {_reason(e)}; {then}")


class PlatformDb(DistrictTables):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        try:
            self._conn = psycopg.connect(dsn)
        except psycopg.Error as e:
            raise explain(dsn, e) from None
        try:
            with self._conn.transaction():
                self._conn.execute(SCHEMA)
                self._conn.execute(LINKS_SCHEMA)
                self._conn.execute(REFUSAL_ALARMS_SCHEMA)
        except psycopg.Error as e:  # a role that may not create the tables, a server going away
            self._conn.close()
            raise explain(dsn, e) from None

    def close(self) -> None:
        self._conn.close()

    def reconnect(self) -> None:
        """After the database went away: a fresh connection (raises while it is down)."""
        try:
            self._conn.close()
        finally:
            self._conn = psycopg.connect(self.dsn)

    # -- leases of site buckets among ingest workers (compound.domain.ingest_partition) --------

    def renew_leases(
        self, worker: str, buckets: int, lease_s: float, plan: Callable[[frozenset[int], int], Any]
    ) -> frozenset[int]:
        """One renewal, in one transaction: say this worker is alive, extend its leases, give
        back or take buckets as ``plan(owned, live_workers)`` says; returns the buckets held."""
        lease = f"{lease_s} seconds"
        with self._conn.transaction():
            self._conn.execute(
                "INSERT INTO ingest_leases (bucket) SELECT generate_series(0, %s - 1)"
                " ON CONFLICT DO NOTHING",
                (buckets,),
            )
            self._conn.execute(
                "INSERT INTO ingest_workers (worker, seen_at) VALUES (%s, now())"
                " ON CONFLICT (worker) DO UPDATE SET seen_at = now()",
                (worker,),
            )
            live = self._conn.execute(
                "SELECT COUNT(*) FROM ingest_workers WHERE seen_at > now() - %s::interval",
                (lease,),
            ).fetchone()
            rows = self._conn.execute(
                "UPDATE ingest_leases SET expires_at = now() + %s::interval"
                " WHERE owner = %s AND bucket < %s RETURNING bucket",
                (lease, worker, buckets),
            ).fetchall()
            owned = frozenset(int(r[0]) for r in rows)
            todo = plan(owned, int(live[0]) if live else 1)
            if todo.release:
                self._conn.execute(
                    "UPDATE ingest_leases SET owner = NULL, expires_at = 'epoch'"
                    " WHERE owner = %s AND bucket = ANY(%s)",
                    (worker, list(todo.release)),
                )
                owned = owned - frozenset(todo.release)
            if todo.claim > 0:
                got = self._conn.execute(
                    "UPDATE ingest_leases SET owner = %s, expires_at = now() + %s::interval"
                    " WHERE bucket IN (SELECT bucket FROM ingest_leases"
                    "  WHERE (owner IS NULL OR expires_at < now()) AND bucket < %s"
                    "  ORDER BY bucket LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING bucket",
                    (worker, lease, buckets, todo.claim),
                ).fetchall()
                owned = owned | frozenset(int(r[0]) for r in got)
        return owned

    def leave(self, worker: str) -> None:
        """A worker stopping cleanly: its buckets are free at once, not when the lease ends."""
        with self._conn.transaction():
            self._conn.execute(
                "UPDATE ingest_leases SET owner = NULL, expires_at = 'epoch' WHERE owner = %s",
                (worker,),
            )
            self._conn.execute("DELETE FROM ingest_workers WHERE worker = %s", (worker,))

    def count_refused(self, counts: dict[tuple[str, str], int]) -> None:
        """Add refused records, ``{(site, reason): n}`` (nothing of the records themselves); a
        row with everything acknowledged opens its alarm again now."""
        with self._conn.transaction(), self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO uplink_refused (site, reason, count, last_at, alarm_since)"
                " VALUES (%s, %s, %s, now(), now()) ON CONFLICT (site, reason)"
                " DO UPDATE SET count = uplink_refused.count + EXCLUDED.count, last_at = now(),"
                " alarm_since = CASE WHEN uplink_refused.count <= uplink_refused.acknowledged"
                " THEN now() ELSE uplink_refused.alarm_since END",
                [(site, reason, n) for (site, reason), n in sorted(counts.items())],
            )

    def other_ids(self, records: list[tuple[str, int, str]]) -> list[tuple[str, int]]:
        """Of ``(site, seq, id)``, those whose stored record of that number has another id."""
        if not records:
            return []
        sites, seqs, ids = zip(*records, strict=True)
        rows = self._conn.execute(
            "SELECT r.site, r.seq FROM uplink_records r"
            " JOIN unnest(%s::text[], %s::bigint[], %s::text[]) AS d(site, seq, id)"
            " ON r.site = d.site AND r.seq = d.seq WHERE r.id <> d.id",
            (list(sites), list(seqs), list(ids)),
        ).fetchall()
        self._conn.commit()
        return [(str(r[0]), int(r[1])) for r in rows]

    def register_site(self, site: str, next_seq: int = 1) -> int | None:
        """Register a site starting at ``next_seq``; None if it was new, else the ``next_seq``
        it already has (left as it is: moving it back would let a replaced box's records fall
        on numbers already stored)."""
        with self._conn.transaction():
            row = self._conn.execute(
                "INSERT INTO uplink_sites (site, next_seq) VALUES (%s, %s)"
                " ON CONFLICT (site) DO NOTHING RETURNING site",
                (site, next_seq),
            ).fetchone()
            if row is not None:
                return None
            have = self._conn.execute(
                "SELECT next_seq FROM uplink_sites WHERE site = %s", (site,)
            ).fetchone()
        return int(have[0]) if have else None

    def record_id_at(self, site: str, seq: int) -> str | None:
        row = self._conn.execute(
            "SELECT id FROM uplink_records WHERE site = %s AND seq = %s", (site, seq)
        ).fetchone()
        self._conn.commit()
        return None if row is None else str(row[0])

    def next_seq(self, site: str) -> int | None:
        """The site's committed ``next_seq``, or None for a site never committed."""
        row = self._conn.execute(
            "SELECT next_seq FROM uplink_sites WHERE site = %s", (site,)
        ).fetchone()
        self._conn.commit()
        return None if row is None else int(row[0])

    def next_seqs(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT site, next_seq FROM uplink_sites").fetchall()
        self._conn.commit()
        return {str(s): int(n) for s, n in rows}

    def commit_batch(
        self, batches: dict[str, tuple[int, list[dict[str, Any]]]]
    ) -> tuple[dict[str, int], int]:
        """``{site: (start, records in order from start)}`` → (``{site: next_seq}``,
        duplicates dropped here). ``start`` is where a site begins when it is new."""
        out: dict[str, int] = {}
        dropped = 0
        with self._conn.transaction():
            for site, (start, records) in sorted(batches.items()):
                self._conn.execute(
                    "INSERT INTO uplink_sites (site, next_seq) VALUES (%s, %s)"
                    " ON CONFLICT (site) DO NOTHING",
                    (site, start),
                )
                row = self._conn.execute(
                    "SELECT next_seq FROM uplink_sites WHERE site = %s FOR UPDATE", (site,)
                ).fetchone()
                nxt = int(row[0]) if row is not None else start
                fresh = [r for r in records if int(r["seq"]) >= nxt]
                if fresh and int(fresh[0]["seq"]) != nxt:
                    fresh = []  # another worker moved on in between: the box resends
                dropped += len(records) - len(fresh)
                inserted = self._insert(site, fresh)
                dropped += len(fresh) - inserted
                if fresh:
                    nxt = int(fresh[-1]["seq"]) + 1
                self._conn.execute(
                    "UPDATE uplink_sites SET next_seq = %s, duplicates = duplicates + %s,"
                    " updated_at = now() WHERE site = %s",
                    (nxt, len(records) - len(fresh), site),
                )
                out[site] = nxt
        return out, dropped

    def _insert(self, site: str, records: Iterable[dict[str, Any]]) -> int:
        rows = [
            (
                site,
                int(r["seq"]),
                str(r["id"]),
                str(r.get("kind", "")),
                r.get("at"),
                json.dumps(r["record"], ensure_ascii=False) if "record" in r else None,
                r.get("withheld"),
            )
            for r in records
        ]
        if not rows:
            return 0
        with self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO uplink_records (site, seq, id, kind, at, record, withheld)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                rows,
            )
            return int(cur.rowcount) if cur.rowcount >= 0 else len(rows)

    # -- reading (tests) -----------------------------------------------------------------

    def site_seqs(self, site: str) -> list[int]:
        rows = self._conn.execute(
            "SELECT seq FROM uplink_records WHERE site = %s ORDER BY seq", (site,)
        ).fetchall()
        self._conn.commit()
        return [int(r[0]) for r in rows]
