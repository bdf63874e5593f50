"""The district view's side of the city platform's PostgreSQL: reading the view (per site,
and the refusals) and writing what the boxes say about their link (``uplink_links``: the
uplink's availability and its last status report, ``compound.domain.uplink_link``). A mixin of
``PlatformDb``, on its connection; psycopg itself stays in ``platform_db``."""

from __future__ import annotations

from typing import Any

LINKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS uplink_links (
    site text PRIMARY KEY,
    online boolean,
    online_changed_at timestamptz,
    waiting bigint,
    unconfirmed bigint,
    oldest_waiting_age_s double precision,
    oldest_unconfirmed_age_s double precision,
    reported_at timestamptz
);
"""

# Refusals are alarms on the district view until an operator acknowledges them: per (site,
# reason) how many of the counted refusals were acknowledged, when, and since when the alarm
# has been open. Added to a platform database made before the alarms existed; looked up first,
# so that starting a reader takes no lock on the table when the columns are there.
REFUSAL_ALARMS_SCHEMA = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_name = 'uplink_refused' AND column_name = 'acknowledged') THEN
        ALTER TABLE uplink_refused ADD COLUMN IF NOT EXISTS acknowledged bigint NOT NULL DEFAULT 0,
            ADD COLUMN IF NOT EXISTS acknowledged_at timestamptz,
            ADD COLUMN IF NOT EXISTS alarm_since timestamptz;
    END IF;
END $$;
"""


class DistrictTables:
    _conn: Any  # PlatformDb's psycopg connection

    def save_links(self, online: dict[str, bool], reports: dict[str, dict[str, Any]]) -> None:
        """The latest availability and status report of each site, in one transaction."""
        with self._conn.transaction(), self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO uplink_links (site, online, online_changed_at) VALUES (%s, %s, now())"
                " ON CONFLICT (site) DO UPDATE SET online = EXCLUDED.online,"
                " online_changed_at = CASE WHEN uplink_links.online IS DISTINCT FROM"
                " EXCLUDED.online THEN now() ELSE uplink_links.online_changed_at END",
                sorted(online.items()),
            )
            cur.executemany(
                "INSERT INTO uplink_links (site, waiting, unconfirmed, oldest_waiting_age_s,"
                " oldest_unconfirmed_age_s, reported_at) VALUES (%s, %s, %s, %s, %s, now())"
                " ON CONFLICT (site) DO UPDATE SET waiting = EXCLUDED.waiting,"
                " unconfirmed = EXCLUDED.unconfirmed,"
                " oldest_waiting_age_s = EXCLUDED.oldest_waiting_age_s,"
                " oldest_unconfirmed_age_s = EXCLUDED.oldest_unconfirmed_age_s,"
                " reported_at = now()",
                [
                    (
                        site,
                        r["waiting"],
                        r["unconfirmed"],
                        r["oldest_waiting_age_s"],
                        r["oldest_unconfirmed_age_s"],
                    )
                    for site, r in sorted(reports.items())
                ],
            )

    def refused(self, site: str | None = None) -> list[dict[str, Any]]:
        """Per site and reason: records refused, how many of them an operator acknowledged,
        the age of the last one and, while some are not acknowledged, of the first of those."""
        rows = self._conn.execute(
            "SELECT site, reason, count, acknowledged, EXTRACT(EPOCH FROM now() - last_at),"
            " CASE WHEN count > acknowledged THEN EXTRACT(EPOCH FROM now() - alarm_since) END"
            " FROM uplink_refused"
            " WHERE %(site)s::text IS NULL OR site = %(site)s ORDER BY site, reason",
            {"site": site},
        ).fetchall()
        self._conn.commit()
        return [
            {
                "site": str(r[0]),
                "reason": str(r[1]),
                "count": int(r[2]),
                "acknowledged": int(r[3]),
                "age_s": round(float(r[4]), 3),
                "since_s": None if r[5] is None else round(float(r[5]), 3),
            }
            for r in rows
        ]

    def acknowledge_refused(self, seen: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
        """Acknowledge refusals up to the counts an operator saw, ``(site, reason, count)``
        (one refused after the operator looked stays an alarm); returns ``(site, reason,
        records acknowledged now)`` for each row that moved."""
        if not seen:
            return []
        sites, reasons, counts = zip(*seen, strict=True)
        with self._conn.transaction():
            rows = self._conn.execute(
                "UPDATE uplink_refused u SET acknowledged = LEAST(u.count, s.n),"
                " acknowledged_at = now()"
                " FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS s(site, reason, n),"
                " (SELECT site, reason, acknowledged FROM uplink_refused FOR UPDATE) AS o"
                " WHERE u.site = s.site AND u.reason = s.reason AND o.site = u.site"
                " AND o.reason = u.reason AND LEAST(u.count, s.n) > u.acknowledged"
                " RETURNING u.site, u.reason, u.acknowledged - o.acknowledged",
                (list(sites), list(reasons), list(counts)),
            ).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

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

    def district(self, hour_s: float = 3600.0, site: str | None = None) -> list[dict[str, Any]]:
        """The district view, per site: records held, the box time of the last record and its
        age, how late the platform committed it (lag), records and passages in the last hour
        (box time), open alarms (raised, no ``alarm_ack`` record for them yet) and of those the
        ones marked for the police's 110 desk; duplicates dropped and the age of the last
        commit. ``site``: that site only."""
        rows = self._conn.execute(
            """
            WITH open_alarms AS (
                SELECT a.site, COUNT(*) AS n,
                       COUNT(*) FILTER (WHERE a.record->>'police_110' = 'true') AS n110
                FROM uplink_records a
                WHERE a.record->>'type' = 'alarm'
                  AND (%(site)s::text IS NULL OR a.site = %(site)s) AND NOT EXISTS (
                    SELECT 1 FROM uplink_records k
                    WHERE k.site = a.site AND k.record->>'type' = 'alarm_ack'
                      AND a.id = k.site || ':' || (k.record->>'alarm_event'))
                GROUP BY a.site)
            SELECT s.site, s.next_seq,
                   (SELECT COUNT(*) FROM uplink_records r WHERE r.site = s.site),
                   last.at,
                   EXTRACT(EPOCH FROM now()) - last.at,
                   EXTRACT(EPOCH FROM last.committed_at) - last.at,
                   (SELECT COUNT(*) FROM uplink_records r WHERE r.site = s.site
                      AND r.at > EXTRACT(EPOCH FROM now()) - %(h)s),
                   (SELECT COUNT(*) FROM uplink_records r WHERE r.site = s.site
                      AND r.at > EXTRACT(EPOCH FROM now()) - %(h)s
                      AND r.record->>'type' = 'passage'),
                   COALESCE(o.n, 0), COALESCE(o.n110, 0),
                   s.duplicates, EXTRACT(EPOCH FROM now() - s.updated_at),
                   CASE WHEN l.online THEN 'online' WHEN NOT l.online THEN 'offline' END,
                   EXTRACT(EPOCH FROM now() - l.online_changed_at),
                   l.waiting + l.unconfirmed,
                   GREATEST(l.oldest_waiting_age_s, l.oldest_unconfirmed_age_s),
                   EXTRACT(EPOCH FROM now() - l.reported_at)
            FROM uplink_sites s
            LEFT JOIN LATERAL (
                SELECT r.at, r.committed_at FROM uplink_records r
                WHERE r.site = s.site ORDER BY r.seq DESC LIMIT 1) last ON true
            LEFT JOIN open_alarms o ON o.site = s.site
            LEFT JOIN uplink_links l ON l.site = s.site
            WHERE %(site)s::text IS NULL OR s.site = %(site)s
            ORDER BY s.site
            """,
            {"h": hour_s, "site": site},
        ).fetchall()
        self._conn.commit()
        keys = (
            "site",
            "next_seq",
            "records",
            "last_record_at",
            "last_record_age_s",
            "lag_s",
            "records_last_hour",
            "passages_last_hour",
            "open_alarms",
            "open_110",
            "duplicates",
            "last_commit_age_s",
            "link",
            "link_since_s",
            "records_waiting",
            "oldest_waiting_age_s",
            "box_report_age_s",
        )
        timed = (
            "last_record_at",
            "last_record_age_s",
            "lag_s",
            "last_commit_age_s",
            "link_since_s",
            "oldest_waiting_age_s",
            "box_report_age_s",
        )
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            for k in timed:
                d[k] = None if d[k] is None else round(float(d[k]), 3)
            for k in keys[1:]:
                if k not in timed and k != "link" and d[k] is not None:
                    d[k] = int(d[k])
            out.append(d)
        return out
