"""SIGKILL the core in the middle of a burst of writes: the database stays whole, the hash
chain verifies, and every event whose result left the core is in the log."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.domain.clock import SystemClock
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import Topics
from compound.services.decision_log import DecisionLog
from compound.store.db import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WAIT = 120.0


def start_core(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "core"],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "ab"),  # noqa: SIM115
    )


def test_kill_core_mid_burst(tmp_path: Path, mosquitto: Mosquitto) -> None:
    db = tmp_path / "core.db"
    store = Store(db, SystemClock(), tmp_path / "keys")
    store.set_setting("site_id", "kill")
    store.add_unit("3-2-1501")
    store.add_door("b3-e2", "B3 E2", ["3-2"])
    store.add_card(store.add_person("张伟", "3-2-1501", "owner"), "10001")
    store.close()
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[site]\nid = "kill"\n[broker]\nport = {mosquitto.port}\n'
        f'[store]\npath = "{db}"\nkey_dir = "{tmp_path / "keys"}"\n'
        # A burst of 400 at one door, far beyond what a real door sends: let it all in.
        "[core]\ndoor_rate_per_s = 100000\ndoor_burst = 100000\ndoor_queue = 100000\n"
    )
    topics = Topics("kill")
    client = Bus(BusConfig(port=mosquitto.port), topics, "burst")
    confirmed: set[str] = set()
    lock = threading.Lock()

    def on_result(msg: Message) -> None:
        with lock:
            confirmed.add(json.loads(msg.payload)["request_id"])

    online = threading.Event()
    client.subscribe(topics.access_result("b3-e2"), on_result)
    client.subscribe(
        topics.availability("core"),
        lambda m: online.set() if m.payload == b"online" else online.clear(),
    )
    client.start()
    try:
        for round_ in range(3):
            online.clear()
            core = start_core(cfg, tmp_path / "core.log")
            try:
                # Upper bounds on waiting (a loaded machine is slow), not deadlines.
                assert online.wait(WAIT), (tmp_path / "core.log").read_text()
                start = len(confirmed)
                for _ in range(400):
                    req = AccessRequest(new_id(), "b3-e2", "card", "10001", time.time(), "burst")
                    client.publish(topics.access_request("b3-e2"), encode(req))
                deadline = time.monotonic() + WAIT
                while len(confirmed) < start + 60 and time.monotonic() < deadline:
                    time.sleep(0.005)
            finally:
                os.kill(core.pid, signal.SIGKILL)  # also when a wait failed: never left running
                core.wait(WAIT)
            assert len(confirmed) >= start + 60, f"round {round_}: core answered too little"
    finally:
        client.stop()

    # What the next start does first: a decision answered from the decision journal (the log
    # was busy) is merged into the log; the guarantee is about the two together.
    recovered = Store(db, SystemClock(), tmp_path / "keys")
    merger = DecisionLog(recovered, [], Counter())
    merger.start()
    merger.stop()
    recovered.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    logged = {
        json.loads(d)["request_id"]
        for (d,) in conn.execute("SELECT data FROM events WHERE type LIKE 'access.%'")
    }
    conn.close()
    assert confirmed <= logged, f"{len(confirmed - logged)} confirmed events were lost"
    verify = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "--db", str(db), "log", "verify", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COMPOUND_CONFIG": str(cfg)},
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["ok"] is True
