"""Consent, encryption at rest, deletion at move-out, and nothing biometric upstream."""

from __future__ import annotations

import numpy as np
import pytest

from compound.domain.model import InvalidInput
from compound.store.db import Store
from compound.store.faces import FaceStore, TemplateError
from tests.compound.face.conftest import add_resident


def _enc(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=0.1, size=128).astype(np.float32)


def test_round_trip_and_nothing_in_clear(store: Store) -> None:
    """Templates come back exactly; the database file holds only ciphertext."""
    faces = FaceStore(store)
    pid = add_resident(store, "Zhang")
    faces.record_consent(pid, "manager Li")
    e = _enc(1)
    faces.add(pid, [e], "manager Li")
    g = faces.gallery()
    np.testing.assert_array_equal(g.templates[0], e)
    raw = store.one("SELECT ciphertext FROM face_templates")
    assert raw is not None and e.tobytes() not in raw["ciphertext"]
    assert (store.key_dir / "face.key").stat().st_mode & 0o777 == 0o600


def test_tampered_or_moved_template_fails(store: Store) -> None:
    """A flipped byte, or a row moved onto another person, is detected, never decoded."""
    faces = FaceStore(store)
    a, b = add_resident(store, "Zhang"), add_resident(store, "Wang")
    faces.record_consent(a, "Li")
    faces.add(a, [_enc(1)], "Li")
    with store.transaction() as c:
        c.execute("UPDATE face_templates SET person_id = ?", (b,))
    with pytest.raises(TemplateError):
        faces.gallery()
    row = store.one("SELECT ciphertext FROM face_templates")
    assert row is not None
    flipped = bytearray(row["ciphertext"])
    flipped[10] ^= 0x01
    with store.transaction() as c:
        c.execute("UPDATE face_templates SET person_id = ?, ciphertext = ?", (a, bytes(flipped)))
    with pytest.raises(TemplateError):
        faces.gallery()


def test_consent_and_a_second_credential_are_required(store: Store) -> None:
    """No consent: nothing stored. No card/PIN/pass: refused, face may not be the only way in."""
    faces = FaceStore(store)
    pid = add_resident(store, "Zhang")
    with pytest.raises(InvalidInput, match="consent"):
        faces.add(pid, [_enc(1)], "Li")
    store.add_unit("1-1-101")
    bare = store.add_person("Chen", "1-1-101", "owner")
    faces.record_consent(bare, "Li")
    with pytest.raises(InvalidInput, match="no card, PIN or pass"):
        faces.add(bare, [_enc(2)], "Li")
    assert faces.count(pid) == 0 and faces.count(bare) == 0


def test_move_out_deletes_templates_even_without_the_face_service(
    store: Store, tmp_path: object
) -> None:
    """Moving out deletes the face in the same transaction, whichever process moves them out
    (here a second Store with no face code loaded, like the core or the CLI)."""
    faces = FaceStore(store)
    pid = add_resident(store, "Zhang")
    faces.record_consent(pid, "Li")
    faces.add(pid, [_enc(1), _enc(2)], "Li")
    other = Store(store.path, store.clock, store.key_dir)
    try:
        other.move_out(pid)
    finally:
        other.close()
    assert faces.count(pid) == 0
    assert faces.consent(pid) is None
    assert len(faces.gallery()) == 0
    # ... and the deletion is in the audit log, written by the process that moved them out.
    deleted = [e for e in store.events(person_id=pid, limit=50) if e.type == "face.deleted"]
    assert len(deleted) == 1 and deleted[0].data == {"by": "move-out", "templates": 2}


def test_move_out_without_a_face_writes_no_face_event(store: Store) -> None:
    pid = add_resident(store, "Zhang")
    store.move_out(pid)
    assert "face.deleted" not in {e.type for e in store.events(person_id=pid, limit=50)}


def test_delete_audit_and_uplink(store: Store) -> None:
    """Enrol and delete are logged with who did it and no biometric data; the outbox for the
    city platform gets nothing from either."""
    faces = FaceStore(store)
    pid = add_resident(store, "Zhang")
    faces.record_consent(pid, "Li")
    faces.add(pid, [_enc(1)], "Li")
    assert faces.delete(pid, "Li") == 1
    evs = {e.type: e for e in store.events(person_id=pid, limit=50)}
    assert {"face.consent", "face.enrolled", "face.deleted", "credential.issued"} <= set(evs)
    for e in evs.values():
        assert "ciphertext" not in str(e.data) and "encoding" not in str(e.data)
    outbox = store.query("SELECT kind, payload FROM outbox")
    assert not any("face" in r["kind"] for r in outbox)
    face_creds = [c for c in store.credentials(pid) if c.kind == "face"]
    assert face_creds and all(c.revoked_at is not None for c in face_creds)
    assert store.one("PRAGMA secure_delete") == {"secure_delete": 1}


def test_ended_lease_purges_the_face(store: Store) -> None:
    """A tenant whose lease ended keeps no face data on the box."""
    from datetime import date

    faces = FaceStore(store)
    store.add_unit("3-2-1502")
    pid = store.add_person("Wang", "3-2-1502", "tenant", lease_end="2026-01-31")
    store.add_card(pid, "555")
    faces.record_consent(pid, "Li")
    faces.add(pid, [_enc(1)], "Li")
    assert faces.purge_ended_leases(date(2026, 1, 31)) == []
    assert faces.purge_ended_leases(date(2026, 2, 1)) == [pid]
    assert faces.count(pid) == 0
