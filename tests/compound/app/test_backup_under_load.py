"""A backup taken while the core decides about 200 access requests a second, over a real
Mosquitto: the archive restores on a new box to a database that passes ``integrity_check`` and
``compound log verify`` and holds every event committed before the backup began."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus
from compound.app.cli import main
from compound.app.wiring import build_core
from compound.config import Config, CoreConfig
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import Topics
from compound.store.backup import integrity_check
from compound.store.db import Store

pytestmark = pytest.mark.integration

RATE = 200.0  # requests a second offered, spread over the doors
DOORS = [f"b{i}-e1" for i in range(1, 5)]


def config_file(box: Path, db: Path) -> Path:
    (box / "mosquitto").mkdir(parents=True, exist_ok=True)
    (box / "mosquitto/passwd").write_text("core:$7$hash\n")
    (box / "mosquitto/acl").write_text("user core\n")
    cfg = box / "compound.toml"
    cfg.write_text(
        f'[site]\nid = "t1"\n[store]\npath = "{db}"\nkey_dir = "{db.parent / "keys"}"\n'
        f'[security]\npassword_file = "{box / "mosquitto/passwd"}"\n'
        f'acl_file = "{box / "mosquitto/acl"}"\nbroker_pid_file = ""\n'
        f'[backup]\nkey_file = "{box / "backup.key"}"\n'
    )
    return cfg


def last_seq(db: Path) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0)
    finally:
        conn.close()


def test_a_backup_under_load_restores_everything_committed_before_it(
    tmp_path: Path,
    live_store: Store,
    mosquitto: Mosquitto,
    topics: Topics,
    make_bus: Callable[..., Bus],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    live_store.set_setting("site_id", "t1")
    live_store.add_unit("1-1-101")
    for d in DOORS:
        live_store.add_door(d, d, ["*"])
    pid = live_store.add_person("王芳", "1-1-101", "owner")
    live_store.add_card(pid, "20001")
    # Every request is decided and logged: no door sheds at this rate.
    cfg = Config().replace(core=dataclasses.replace(CoreConfig(), door_rate_per_s=1000.0,
                                                    door_burst=1000, door_queue=1000))  # fmt: skip
    core_bus = make_bus(mosquitto.port, "core", start=False)
    core = build_core(live_store, core_bus, live_store.clock, cfg)
    core.start()
    core_bus.start()
    door_bus = make_bus(mosquitto.port, "doors")
    decided: list[float] = []
    door_bus.subscribe(topics.access_result("+"), lambda m: decided.append(time.monotonic()))

    stop = threading.Event()
    sent = [0]

    def load() -> None:
        start = time.monotonic()
        while not stop.is_set():
            door = DOORS[sent[0] % len(DOORS)]
            req = AccessRequest(new_id(), door, "card", "20001", time.time(), "load")
            door_bus.publish(topics.access_request(door), encode(req))
            sent[0] += 1
            stop.wait(max(0.0, start + sent[0] / RATE - time.monotonic()))

    loader = threading.Thread(target=load, name="load")
    loader.start()
    try:
        deadline = time.monotonic() + 60
        while len(decided) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(decided) >= 200, "the core decides under the load"
        monkeypatch.setenv("COMPOUND_CONFIG", str(config_file(tmp_path / "box", live_store.path)))
        monkeypatch.delenv("COMPOUND_DB", raising=False)
        before = last_seq(live_store.path)  # committed before the backup began
        decided_before = len(decided)
        capsys.readouterr()
        assert main(["backup", "create", str(tmp_path / "backups"), "--json"]) == 0
        made = json.loads(capsys.readouterr().out)
        decided_during = len(decided) - decided_before
    finally:
        stop.set()
        loader.join(10)
        core.stop()
    assert decided_during > 0, "the core went on deciding while the backup was taken"

    # A new box: the archive and the key, nothing else.
    new_db = tmp_path / "new/lib/compound.db"
    new_cfg = config_file(tmp_path / "new", new_db)
    (tmp_path / "new/backup.key").write_bytes((tmp_path / "box/backup.key").read_bytes())
    (tmp_path / "new/backup.key").chmod(0o600)
    monkeypatch.setenv("COMPOUND_CONFIG", str(new_cfg))
    assert main(["backup", "restore", made["archive"]]) == 0
    assert integrity_check(new_db) == "ok"
    capsys.readouterr()
    assert main(["log", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"]

    def hashes(db: Path) -> list[tuple[int, str]]:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            q = "SELECT seq, hash FROM events WHERE seq <= ? ORDER BY seq"
            return [(r[0], r[1]) for r in conn.execute(q, (before,))]
        finally:
            conn.close()

    original = hashes(live_store.path)
    assert len(original) == before > 0
    assert hashes(new_db) == original, "every event committed before the backup, unchanged"
    print(f"offered {sent[0]} requests at {RATE:.0f}/s; {decided_during} decided during the backup")
