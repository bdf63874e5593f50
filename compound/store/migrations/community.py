"""Schema of the community features (migrations 40-59)."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _community(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- 重点户 / 一般户 / 放心户
        CREATE TABLE household_classes (
            household_id INTEGER PRIMARY KEY REFERENCES households(id),
            class TEXT NOT NULL CHECK (class IN ('focus','general','trusted')),
            set_at REAL NOT NULL,
            set_by TEXT NOT NULL
        );
        -- 重点层 / 关注层 / 稳定层, and what the floating-population register asks besides
        CREATE TABLE tenant_profiles (
            person_id INTEGER PRIMARY KEY REFERENCES people(id),
            layer TEXT NOT NULL CHECK (layer IN ('focus','watch','stable')),
            origin TEXT,
            registered_at REAL NOT NULL,
            set_by TEXT NOT NULL
        );
        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            person_id INTEGER REFERENCES people(id),
            household_id INTEGER REFERENCES households(id),
            at REAL NOT NULL,
            by TEXT NOT NULL,
            notes TEXT NOT NULL DEFAULT '',
            CHECK (person_id IS NOT NULL OR household_id IS NOT NULL)
        );
        CREATE INDEX visits_person ON visits(person_id, at);
        CREATE INDEX visits_household ON visits(household_id, at);
        CREATE TABLE notices (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            valid_from REAL NOT NULL,
            valid_until REAL NOT NULL,
            posted_by TEXT NOT NULL,
            posted_at REAL NOT NULL,
            withdrawn_at REAL,
            CHECK (valid_until > valid_from)
        );
        -- Which configured rule raised an alarm, and about whom or what: one open alarm per
        -- rule and subject, so a condition that persists does not raise a storm.
        ALTER TABLE alarms ADD COLUMN rule TEXT;
        ALTER TABLE alarms ADD COLUMN subject TEXT;
        CREATE INDEX alarms_rule ON alarms(rule, subject, raised_at);
        -- A record the uplink refused to send (it carried biometric data) is withheld, and the
        -- platform receives a tombstone in its place so that its sequence has no gap.
        ALTER TABLE outbox ADD COLUMN withheld TEXT;
        """,
    )


def _uplink_confirmed(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- sent_at is the broker's PUBACK (flow control only); confirmed_at is set when the
        -- platform's cumulative acknowledgement covers the record. Only confirmed rows are done.
        ALTER TABLE outbox ADD COLUMN confirmed_at REAL;
        -- rows sent under the PUBACK-only contract before this column existed count as confirmed:
        -- they cannot be checked any more, and sending years of history again would flood the
        -- platform
        UPDATE outbox SET confirmed_at = sent_at WHERE sent_at IS NOT NULL;
        CREATE INDEX outbox_unconfirmed ON outbox(seq) WHERE confirmed_at IS NULL;
        """,
    )


STEPS = (
    Migration(
        40, "community: household classes, tenant layers, visits, notices, alarm rules", _community
    ),
    Migration(41, "uplink: end-to-end confirmation by the platform", _uplink_confirmed),
)
