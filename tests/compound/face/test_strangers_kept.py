"""The stranger memory kept sealed in the store: a restart keeps a stranger seen before, one
not seen for eight days is deleted from the table, and the stored bytes hold no descriptor."""

from __future__ import annotations

import json
import queue
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from compound.adapters.camera import ReplaySource
from compound.camera_config import CameraWiring
from compound.config import FaceConfig
from compound.domain.clock import ManualClock, SystemClock
from compound.domain.face.strangers import Strangers
from compound.services.face_cameras import CameraSpec, FaceCameras
from compound.services.face_strangers import KeptStrangers
from compound.store.db import Store
from compound.store.face_strangers import StrangerStore
from devkit import face_clips
from tests.compound.face.conftest import STRANGER, CachingRecognizer
from tests.compound.face.test_service_bus import _write

DAY = 86400.0
WEEK_S = 168 * 3600.0


def enc(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return v / np.linalg.norm(v)


def kept(store: Store) -> KeptStrangers:
    return KeptStrangers(Strangers(0.45, WEEK_S), StrangerStore(store))


def rows(store: Store) -> list[dict[str, Any]]:
    return store.query("SELECT id, last_seen FROM face_strangers ORDER BY last_seen")


def test_restart_keeps_a_stranger_seen_twice(tmp_path: Path) -> None:
    clock = ManualClock(1_000_000.0)
    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")
    memory = kept(store)
    assert memory.load(clock.now()) == 0
    first = memory.identify(enc(1), clock.now())
    assert memory.identify(enc(1) + 0.01, clock.now() + DAY) == first
    other = memory.identify(enc(2), clock.now() + DAY)
    store.close()

    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")  # the service restarts
    memory = kept(store)
    assert memory.load(clock.now() + 2 * DAY) == 2
    assert memory.identify(enc(1) + 0.02, clock.now() + 2 * DAY) == first
    assert memory.identify(enc(2), clock.now() + 2 * DAY) == other
    assert {r["id"] for r in rows(store)} == {first, other}
    store.close()


def test_a_stranger_eight_days_old_is_deleted_from_the_table(tmp_path: Path) -> None:
    clock = ManualClock(1_000_000.0)
    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")
    memory = kept(store)
    t0 = clock.now()
    old = memory.identify(enc(1), t0)
    recent = memory.identify(enc(2), t0 + 6 * DAY)
    assert {r["id"] for r in rows(store)} == {old, recent}
    assert memory.expire(t0 + 8 * DAY) == 1  # the schedule's run
    assert [r["id"] for r in rows(store)] == [recent]
    assert memory.identify(enc(1), t0 + 8 * DAY) != old  # forgotten in memory too
    store.close()
    # And at a restart after a longer stop: nothing past the limit is loaded or left behind.
    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")
    assert kept(store).load(t0 + 20 * DAY) == 0
    assert rows(store) == []
    store.close()


def test_stored_bytes_hold_no_descriptor(tmp_path: Path) -> None:
    clock = ManualClock(1_000_000.0)
    store = Store(tmp_path / "c.db", clock, tmp_path / "keys")
    memory = kept(store)
    e = enc(7)
    sid = memory.identify(e, clock.now())
    row = store.one("SELECT nonce, ciphertext FROM face_strangers WHERE id = ?", (sid,))
    assert row is not None and len(row["ciphertext"]) == 128 * 4 + 16
    plain = e.astype("<f4").tobytes()
    assert plain not in row["ciphertext"]
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("c.db*"))
    assert row["ciphertext"] in on_disk  # the row is on disk, sealed
    assert plain not in on_disk and plain[:64] not in on_disk
    # Sealed with the face key and bound to its id: moved under another id, it is refused.
    store.conn.execute("UPDATE face_strangers SET id = 'sother' WHERE id = ?", (sid,))
    assert StrangerStore(store).load() == [] and rows(store) == []
    store.close()


@pytest.mark.integration
def test_the_service_names_a_stranger_as_before_after_a_restart(
    live_store: Store,
    mosquitto: Any,
    make_bus: Any,
    recognizer: CachingRecognizer,
    johns: dict[str, list[Path]],
    tmp_path: Path,
) -> None:
    """Two runs of the face service on one store: the stranger's anonymous id in the second
    run is the one of the first."""
    live_store.add_door("b3-e2", "Building 3", ["3-2"])
    photos = face_clips.load(johns[STRANGER][:3])
    clip = _write(face_clips.empty(6) + face_clips.crossfade(photos, hold=4), tmp_path / "s")
    results: queue.Queue[Any] = queue.Queue()
    watcher = make_bus(mosquitto.port, "watch-strangers", start=False)
    watcher.subscribe("compound/test/face/cam1/result", results.put)
    watcher.start()
    ids = []
    for run in ("face-1", "face-2"):
        bus = make_bus(mosquitto.port, run, start=False)
        wiring = CameraWiring("cam1", "replay:test", ["b3-e2"], 12.0, "never")
        source = ReplaySource(clip, SystemClock().now, loop=True)
        svc = FaceCameras(
            live_store,
            bus,
            SystemClock(),
            FaceConfig(preview_fps=0.0),
            [CameraSpec(wiring, source)],
            recognizer,
        )
        svc.start()
        bus.start()
        try:
            while True:
                body = json.loads(results.get(timeout=120).payload)
                if body.get("stranger"):
                    ids.append(body["stranger"])
                    break
        finally:
            svc.stop()
            bus.stop()
    assert ids[0] == ids[1]
    assert [r["id"] for r in rows(live_store)] == [ids[0]]
