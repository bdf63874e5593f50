"""A full disk: one clear line in the log (not a traceback per request), every reader answered
"system busy", no door opened, and doors decide again as soon as there is room, with no restart.

The disk is a real one: a 4 MB tmpfs mounted for the test (the box's SQLite fails at COMMIT,
as on a full SD card). Without the right to mount (not root), the test is skipped."""

from __future__ import annotations

import errno
import json
import logging
import queue
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.mqtt import Bus, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import Topics
from compound.store.db import Store, StoreError

pytestmark = pytest.mark.integration


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "small"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem is full (ENOSPC)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        for size in (65536, 512):  # then the last few bytes too
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
    return filler


def use_up_slack(store: Store) -> StoreError:
    """Log events until SQLite cannot write any more (the WAL may have room left over)."""
    for i in range(100_000):
        try:
            store.append_event("test.filler", data={"i": i, "pad": "x" * 200})
        except StoreError as e:
            return e
    raise AssertionError("the disk never filled up")


def ask(door: Bus, topics: Topics, answers: queue.Queue[Message]) -> dict[str, object]:
    req = AccessRequest(new_id(), "b3-e2", "card", "10001", time.time(), "test")
    door.publish(topics.access_request("b3-e2"), encode(req))
    while True:
        body = json.loads(answers.get(timeout=5).payload)
        if body["request_id"] == req.id:
            return dict(body)


def test_full_disk_denies_with_system_busy_and_recovers(
    small_disk: Path,
    tmp_path: Path,
    mosquitto: object,
    make_bus: object,
    topics: Topics,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store(small_disk / "c.db", SystemClock(), tmp_path / "keys")
    store.add_unit("3-2-1501")
    store.add_door("b3-e2", "Building 3 entrance 2", ["3-2"])
    store.add_card(store.add_person("张伟", "3-2-1501", "owner"), "10001")
    port = mosquitto.port  # type: ignore[attr-defined]
    core_bus = make_bus(port, "core", 5, start=False)  # type: ignore[operator]
    core = build_core(store, core_bus, store.clock, Config())
    core.start()
    core_bus.start()
    door: Bus = make_bus(port, "door-b3")  # type: ignore[operator]
    answers: queue.Queue[Message] = queue.Queue()
    commands: queue.Queue[Message] = queue.Queue()
    door.subscribe(topics.access_result("b3-e2"), answers.put)
    door.subscribe(topics.door_cmd("b3-e2"), commands.put)
    try:
        assert ask(door, topics, answers)["granted"] is True
        commands.get(timeout=5)

        filler = fill(small_disk)
        error = use_up_slack(store)
        # the reason, not "cannot rollback - no transaction is active"
        assert "disk is full" in str(error) and "rollback" not in str(error), error

        caplog.clear()
        caplog.set_level(logging.INFO)
        for _ in range(30):
            body = ask(door, topics, answers)
            assert body["granted"] is False and body["reason"] == "system busy", body
        assert commands.empty(), "a door opened while nothing could be logged"
        said = [r for r in caplog.records if "cannot be written" in r.getMessage()]
        assert len(said) == 1 and "disk is full" in said[0].getMessage()
        assert not [r for r in caplog.records if r.exc_info], "no traceback per request"
        assert core.counters["access.not_logged"] == 30

        filler.unlink()  # room again; no restart
        body = ask(door, topics, answers)
        assert body["granted"] is True, body
        commands.get(timeout=5)
        assert any("written again" in r.getMessage() for r in caplog.records)
        assert store.verify_log().ok
    finally:
        core.stop()
        store.close()


def test_a_failed_commit_is_reported_as_the_store_error(small_disk: Path, tmp_path: Path) -> None:
    """COMMIT fails on the full disk and SQLite rolls back by itself: the store says why and the
    next transaction works once there is room."""
    store = Store(small_disk / "c.db", SystemClock(), tmp_path / "keys")
    try:
        store.add_unit("1-1-101")
        filler = fill(small_disk)
        error = use_up_slack(store)
        assert isinstance(error.__cause__, Exception)
        assert getattr(error.__cause__, "sqlite_errorcode", None) in (13, None)  # SQLITE_FULL
        assert not store.conn.in_transaction
        filler.unlink()
        store.append_event("test.after")
        assert store.verify_log().ok
    finally:
        store.close()
