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
from collections.abc import Iterable
from typing import Any

import psycopg

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
"""


class PlatformDb:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._conn = psycopg.connect(dsn)
        with self._conn.transaction():
            self._conn.execute(SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def reconnect(self) -> None:
        """After the database went away: a fresh connection (raises while it is down)."""
        try:
            self._conn.close()
        finally:
            self._conn = psycopg.connect(self.dsn)

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

    # -- reading (tests, status) -----------------------------------------------------------

    def site_seqs(self, site: str) -> list[int]:
        rows = self._conn.execute(
            "SELECT seq FROM uplink_records WHERE site = %s ORDER BY seq", (site,)
        ).fetchall()
        self._conn.commit()
        return [int(r[0]) for r in rows]

    def sites(self) -> list[dict[str, Any]]:
        """Per site: next_seq, records held, duplicates dropped, seconds since the last
        commit."""
        rows = self._conn.execute(
            "SELECT s.site, s.next_seq, s.duplicates,"
            " EXTRACT(EPOCH FROM now() - s.updated_at),"
            " (SELECT COUNT(*) FROM uplink_records r WHERE r.site = s.site)"
            " FROM uplink_sites s ORDER BY s.site"
        ).fetchall()
        self._conn.commit()
        keys = ("site", "next_seq", "duplicates", "last_commit_age_s", "records")
        return [
            dict(zip(keys, (str(r[0]), int(r[1]), int(r[2]), float(r[3]), int(r[4])), strict=True))
            for r in rows
        ]

    def counts(self) -> dict[str, int]:
        """Records per site, and the whole table's count of distinct ids under ``"*ids"``."""
        rows = self._conn.execute(
            "SELECT site, COUNT(*) FROM uplink_records GROUP BY site"
        ).fetchall()
        ids = self._conn.execute("SELECT COUNT(DISTINCT id) FROM uplink_records").fetchone()
        self._conn.commit()
        out = {str(s): int(n) for s, n in rows}
        out["*ids"] = int(ids[0]) if ids else 0
        return out
