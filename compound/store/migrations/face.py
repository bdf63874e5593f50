"""Face templates and consents (migrations 20-39)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compound.store.migrations.script import Migration, run_script

if TYPE_CHECKING:
    import sqlite3


def _face(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- Separate consent for face data (PIPL: sensitive personal information), recorded
        -- before any template of that person is stored; withdrawn when the face is deleted.
        CREATE TABLE face_consents (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            given_by TEXT NOT NULL,
            at REAL NOT NULL,
            text_version TEXT NOT NULL,
            withdrawn_at REAL
        );
        CREATE INDEX face_consents_person ON face_consents(person_id);
        -- One row per template: AES-GCM ciphertext of 128 float32 values; the key is in its
        -- own file, never in this database.
        CREATE TABLE face_templates (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            consent_id INTEGER NOT NULL REFERENCES face_consents(id),
            nonce BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE INDEX face_templates_person ON face_templates(person_id);
        -- Moving out deletes the face in the same transaction, whichever process does it.
        CREATE TRIGGER face_move_out AFTER UPDATE OF moved_out_at ON people
            WHEN NEW.moved_out_at IS NOT NULL AND OLD.moved_out_at IS NULL
            BEGIN
                DELETE FROM face_templates WHERE person_id = NEW.id;
                UPDATE face_consents SET withdrawn_at = NEW.moved_out_at
                    WHERE person_id = NEW.id AND withdrawn_at IS NULL;
            END;
        """,
    )


def _strangers(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- Faces that matched no resident, kept so that a restart does not forget a repeat
        -- visitor: the anonymous id, when last seen, and the descriptor sealed with the face
        -- key (AES-GCM, the id bound in). Rows older than face.stranger_memory_h are deleted
        -- (secure_delete overwrites them), not merely skipped.
        CREATE TABLE face_strangers (
            id TEXT PRIMARY KEY,
            last_seen REAL NOT NULL,
            nonce BLOB NOT NULL,
            ciphertext BLOB NOT NULL
        );
        CREATE INDEX face_strangers_seen ON face_strangers(last_seen);
        """,
    )


STEPS = (
    Migration(20, "face consents and encrypted templates", _face),
    Migration(21, "strangers' faces sealed", _strangers),
)
