"""Deleting the newest events is seen: the log's head is signed into a checkpoint file (and the
outbox) every N events and at close, with a key the database does not hold."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from compound.app.cli import main
from compound.domain.clock import ManualClock
from compound.store.db import Store

pytestmark = pytest.mark.integration


def log_events(db: Path, n: int, every: int = 100) -> None:
    s = Store(db, ManualClock(), db.parent / "keys")
    s.checkpoint_every = every
    try:
        for i in range(n):
            s.append_event("test.event", data={"i": i}, uplink={"type": "test", "i": i})
        s.checkpoint_at_shutdown()  # what the core does when it stops
    finally:
        s.close()


def attacker_deletes_from(db: Path, seq: int) -> None:
    """What someone with the file can do: drop the append-only trigger, delete the newest rows."""
    c = sqlite3.connect(db)
    c.execute("DROP TRIGGER IF EXISTS events_no_delete")
    c.execute("DELETE FROM outbox WHERE event_seq >= ?", (seq,))
    c.execute("DELETE FROM events WHERE seq >= ?", (seq,))
    c.commit()
    c.close()


def verify(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object], str]:
    monkeypatch.setenv("COMPOUND_DB", str(db))
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)
    capsys.readouterr()
    rc = main(["log", "verify", "--json"])
    out = json.loads(capsys.readouterr().out)
    rc_text = main(["log", "verify"])
    text = capsys.readouterr()
    assert rc_text == rc
    return rc, out, text.out + text.err


def test_checkpoints_are_signed_private_and_queued_for_the_platform(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    log_events(db, 250)
    lines = (tmp_path / "c.db.checkpoints").read_text().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [100, 200, 250]
    assert stat.S_IMODE((tmp_path / "c.db.checkpoints").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys" / "checkpoint.key").stat().st_mode) == 0o600
    c = sqlite3.connect(db)
    rows = c.execute("SELECT event_seq, payload FROM outbox WHERE kind = 'log_checkpoint'")
    queued = {seq: json.loads(p) for seq, p in rows.fetchall()}
    c.close()
    assert sorted(queued) == [100, 200, 250]
    assert queued[250]["type"] == "log_checkpoint" and len(queued[250]["mac"]) == 64


def test_intact_log_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.db"
    log_events(db, 30)
    rc, out, text = verify(db, monkeypatch, capsys)
    assert rc == 0 and out["ok"] is True and "intact" in text


def test_deleting_the_newest_events_is_detected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.db"
    log_events(db, 250)
    attacker_deletes_from(db, 241)
    rc, out, text = verify(db, monkeypatch, capsys)
    assert rc != 0 and out["ok"] is False
    assert out["first_broken"] == 241
    assert "events 241 to 250 are missing" in str(out["problem"])
    assert "last good event is 240" in text


def test_rewritten_head_is_detected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Delete the newest events and log others in their place, chained properly: the chain
    links, but the checkpointed event's hash differs."""
    db = tmp_path / "c.db"
    log_events(db, 200)
    attacker_deletes_from(db, 151)
    s = Store(db, ManualClock(), tmp_path / "elsewhere")  # without the checkpoint key
    s.checkpoint_every = 10**9
    for i in range(60):
        s.append_event("test.event", data={"forged": i})
    s.close()
    rc, out, text = verify(db, monkeypatch, capsys)
    assert rc != 0 and "event 200 differs from the checkpoint" in str(out["problem"])
    assert "last good event is 100" in text


def test_a_forged_checkpoint_line_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "c.db"
    log_events(db, 20)
    with (tmp_path / "c.db.checkpoints").open("a") as f:
        f.write(json.dumps({"seq": 5, "hash": "0" * 64, "at": 0.0, "mac": "1" * 64}) + "\n")
    rc, out, _ = verify(db, monkeypatch, capsys)
    assert rc != 0 and "not signed" in str(out["problem"])


def test_the_core_signs_the_head_when_it_stops(tmp_path: Path) -> None:
    from compound.app.wiring import build_core
    from compound.config import Config
    from compound.protocol.topics import Topics
    from compound.services.core import Core

    class Quiet:
        """The core's bus, unused here: only stop() is exercised."""

        topics = Topics("t")

    db = tmp_path / "c.db"
    s = Store(db, ManualClock(), tmp_path / "keys")
    try:
        core: Core = build_core(s, Quiet(), s.clock, Config())  # type: ignore[arg-type]
        s.append_event("test.event")
        s.append_event("test.event")
        core.stop()
    finally:
        s.close()
    lines = (tmp_path / "c.db.checkpoints").read_text().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [2]


# -- the head file: the newest events, anchored after every commit ---------------------------


def test_deleting_the_newest_event_is_detected_without_a_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No checkpoint since event 0 and no clean shutdown: the head file still names the newest
    event, so deleting even the one newest row is reported."""
    db = tmp_path / "c.db"
    s = Store(db, ManualClock(), tmp_path / "keys")
    for i in range(37):
        s.append_event("test.event", data={"i": i})
    s.close()  # no checkpoint_at_shutdown: as after a SIGKILL
    assert not (tmp_path / "c.db.checkpoints").exists()
    rc, out, _ = verify(db, monkeypatch, capsys)
    assert rc == 0 and out["ok"] is True
    attacker_deletes_from(db, 37)
    rc, out, text = verify(db, monkeypatch, capsys)
    assert rc != 0 and out["first_broken"] == 37
    assert "event 37 is missing: the head record" in str(out["problem"])
    attacker_deletes_from(db, 30)
    rc, out, text = verify(db, monkeypatch, capsys)
    assert "events 30 to 37 are missing" in str(out["problem"])
    assert "last good event is 29" in text


def test_the_head_is_anchored_by_a_killed_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real process logs events, then is SIGKILLed: nothing at shutdown, yet the newest
    events it committed cannot be deleted unseen."""
    import os
    import signal
    import subprocess
    import sys

    db = tmp_path / "c.db"
    script = (
        "import sys\n"
        "from compound.domain.clock import SystemClock\n"
        "from compound.store.db import Store\n"
        f"s = Store({str(db)!r}, SystemClock(), {str(tmp_path / 'keys')!r})\n"
        "for i in range(15):\n"
        "    s.append_event('test.event', data={'i': i})\n"
        "print('logged', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "logged"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    attacker_deletes_from(db, 14)
    rc, out, _ = verify(db, monkeypatch, capsys)
    assert rc != 0 and "events 14 to 15 are missing" in str(out["problem"])


def test_a_forged_head_record_is_reported_and_a_torn_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from compound.store.log_head import RECORD, SLOT

    db = tmp_path / "c.db"
    log_events(db, 6, every=10**9)
    head = tmp_path / "c.db.head"
    assert stat.S_IMODE(head.stat().st_mode) == 0o600
    good = head.read_bytes()
    # A write cut short by a power loss: slot 0 (event 6) spoilt, slot 1 (event 5) intact.
    head.write_bytes(b'{"seq": 6, "ha' + good[14:SLOT] + good[SLOT:])
    rc, out, _ = verify(db, monkeypatch, capsys)
    assert rc == 0 and out["ok"] is True
    forged = json.dumps({"seq": 9, "hash": "0" * 64, "at": 0.0, "mac": "1" * 64}).encode()
    head.write_bytes(good[:SLOT] + forged.ljust(RECORD) + b"\n")
    rc, out, _ = verify(db, monkeypatch, capsys)
    assert rc != 0 and "slot 1 is not signed" in str(out["problem"])
