"""What the soak's parts share: the site's database and config, a `compound core` process, an
observer on the bus, the checks run on the database afterwards, and a polling wait."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.store.db import Store

SITE = "soak"


def prepare(work: Path, port: int) -> Path:
    db = work / "core.db"
    store = Store(db, SystemClock(), work / "keys")
    store.set_setting("site_id", SITE)
    store.add_unit("3-2-1501")
    store.add_door("d1", "D1", ["3-2"])
    store.add_card(store.add_person("张伟", "3-2-1501", "owner"), "10001")
    store.close()
    cfg = work / "c.toml"
    cfg.write_text(
        f'[site]\nid = "{SITE}"\n[broker]\nport = {port}\n'
        f'[store]\npath = "{db}"\nkey_dir = "{work / "keys"}"\n'
        # Bursts at one door far beyond a real door's: let them all in.
        "[core]\ndoor_rate_per_s = 100000\ndoor_burst = 100000\ndoor_queue = 100000\n"
    )
    return cfg


def start_core(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "core"],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "ab"),  # noqa: SIM115
    )


class Observer:
    def __init__(self, port: int) -> None:
        self.topics = Topics(SITE)
        self.results: dict[str, bool] = {}
        self.commands: list[dict[str, Any]] = []
        self.online = threading.Event()
        self.online_at: list[float] = []
        self.lock = threading.Lock()
        self.bus = Bus(BusConfig(port=port), self.topics, f"observer-{os.getpid()}")
        self.bus.subscribe(self.topics.access_result("+"), self._result)
        self.bus.subscribe(self.topics.door_cmd("+"), self._command)
        self.bus.subscribe(self.topics.availability("core"), self._avail)

    def _result(self, m: Message) -> None:
        body = json.loads(m.payload)
        with self.lock:
            self.results[body["request_id"]] = body["granted"]

    def _command(self, m: Message) -> None:
        with self.lock:
            self.commands.append(json.loads(m.payload))

    def _avail(self, m: Message) -> None:
        if m.payload == b"online":
            self.online_at.append(time.monotonic())
            self.online.set()
        else:
            self.online.clear()


def verify(db: Path, cfg: Path) -> tuple[bool, bool, list[str]]:
    conn = sqlite3.connect(db)
    ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = [
        json.loads(d)["request_id"]
        for (d,) in conn.execute("SELECT data FROM events WHERE type LIKE 'access.%'")
    ]
    conn.close()
    r = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "log", "verify", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    chain = r.returncode == 0 and json.loads(r.stdout)["ok"] is True
    return ok, chain, ids


def wait(cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.002)
    return bool(cond())


def table(title: str, figures: dict[str, Any]) -> list[str]:
    return [
        f"## {title}",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {key} | {v} |" for key, v in figures.items()),
        "",
    ]
