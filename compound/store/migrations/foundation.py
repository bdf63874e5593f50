"""The foundation schema: the compound, its people, credentials, doors and the event log."""

from __future__ import annotations

import sqlite3

from compound.store.migrations.script import Migration, run_script


def _base(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE buildings (number INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE entrances (
            building INTEGER NOT NULL REFERENCES buildings(number),
            number INTEGER NOT NULL,
            PRIMARY KEY (building, number)
        );
        CREATE TABLE units (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL UNIQUE,
            building INTEGER NOT NULL,
            entrance INTEGER NOT NULL,
            room TEXT NOT NULL,
            registered_occupants INTEGER,
            FOREIGN KEY (building, entrance) REFERENCES entrances(building, number)
        );
        CREATE TABLE households (
            id INTEGER PRIMARY KEY,
            unit_id INTEGER NOT NULL REFERENCES units(id),
            rental INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            closed_at REAL
        );
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            household_id INTEGER NOT NULL REFERENCES households(id),
            role TEXT NOT NULL CHECK (role IN ('owner','family','tenant','visitor')),
            id_type TEXT,
            id_number TEXT,
            phone TEXT,
            lease_start TEXT,
            lease_end TEXT,
            lives_alone INTEGER NOT NULL DEFAULT 0,
            birth_year INTEGER,
            created_at REAL NOT NULL,
            moved_out_at REAL,
            CHECK (lease_end IS NULL OR lease_start IS NULL OR lease_end >= lease_start)
        );
        -- An ID number belongs to one person still living here; a person who moved out may
        -- come back later under the same number.
        CREATE UNIQUE INDEX people_id_number ON people(id_number)
            WHERE id_number IS NOT NULL AND moved_out_at IS NULL;
        CREATE TABLE schedules (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            windows TEXT NOT NULL,
            holiday_windows TEXT NOT NULL DEFAULT '[]'
        );
        CREATE TABLE holidays (day TEXT PRIMARY KEY, name TEXT);
        CREATE TABLE credentials (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            kind TEXT NOT NULL CHECK (kind IN ('face','card','pin','pass')),
            -- card: the card number; pin and pass: a keyed hash, so the secret is not stored
            lookup TEXT,
            label TEXT NOT NULL DEFAULT '',
            valid_from REAL,
            valid_until REAL,
            revoked_at REAL,
            schedule_id INTEGER REFERENCES schedules(id),
            created_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX credentials_live_lookup ON credentials(kind, lookup)
            WHERE lookup IS NOT NULL AND revoked_at IS NULL;
        CREATE INDEX credentials_person ON credentials(person_id);
        CREATE TABLE doors (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            lock_type TEXT NOT NULL CHECK (lock_type IN ('maglock','strike')),
            egress INTEGER NOT NULL DEFAULT 1,
            open_time_s REAL NOT NULL DEFAULT 5,
            held_open_s REAL NOT NULL DEFAULT 60,
            schedule_id INTEGER REFERENCES schedules(id)
        );
        CREATE TABLE door_scopes (
            door_id TEXT NOT NULL REFERENCES doors(id) ON DELETE CASCADE,
            scope TEXT NOT NULL,
            PRIMARY KEY (door_id, scope)
        );
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            type TEXT NOT NULL,
            door_id TEXT,
            person_id INTEGER,
            data TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX events_door ON events(door_id, seq);
        CREATE INDEX events_person ON events(person_id, seq);
        CREATE INDEX events_type ON events(type, at);
        -- The log is append-only: the database itself refuses edits and deletions.
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TABLE alarms (
            id INTEGER PRIMARY KEY,
            raised_at REAL NOT NULL,
            kind TEXT NOT NULL,
            severity TEXT NOT NULL,
            door_id TEXT,
            person_id INTEGER,
            message TEXT NOT NULL,
            event_seq INTEGER REFERENCES events(seq),
            acknowledged_at REAL,
            acknowledged_by TEXT,
            note TEXT
        );
        CREATE INDEX alarms_open ON alarms(acknowledged_at, raised_at);
        -- Filled in the same transaction as the event it carries; drained to the city platform.
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY,
            event_seq INTEGER NOT NULL REFERENCES events(seq),
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at REAL NOT NULL,
            sent_at REAL
        );
        CREATE INDEX outbox_unsent ON outbox(sent_at, seq);
        """,
    )


STEPS = (Migration(1, "compound, people, credentials, doors, events", _base),)
