"""The doors while `compound import people` writes 25,000 rows: a step of ``bench_import.py``.

A fresh database with the sample compound's 156 doors and its first 2,000 residents; Mosquitto
and the real `compound core` process on it; a reader swiping cards that open doors (checked with
the core's own decision, ``devkit.sample.sample_cards``), one every ~20 ms, waiting for each
result. First with nothing else running (the baseline of the run), then while the rest of the
register (about 22,800 rows) is imported by a second process-like writer (its own connection,
as `compound import` has), swiping until the import has returned. Reported: card -> result
p50/p99/max in both, the ratio of the p99s, how long the import's transaction held the write
lock, and every reply that was "system busy" or never came.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import summary_ms
from compound.adapters.broker import Mosquitto, free_port
from compound.adapters.mqtt import Bus, BusConfig
from compound.domain import register_sheet
from compound.domain.clock import SystemClock
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import Topics
from compound.store import register_import
from compound.store.db import Store
from devkit.sample import sample_cards

WARM_ROWS = 2000  # residents registered before the core starts: the cards swiped


class Reader:
    """Swipes a card, waits for its result; keeps the reason of each."""

    def __init__(self, port: int, topics: Topics) -> None:
        self.topics = topics
        self.bus = Bus(BusConfig(port=port), topics, "bench-import-reader")
        self.results: queue.Queue[tuple[str, str, float]] = queue.Queue()
        self.bus.subscribe(topics.all("access/+/result"), self._result)
        self.bus.start(timeout=30)

    def _result(self, m: Any) -> None:
        body = json.loads(m.payload)
        self.results.put((body["request_id"], str(body.get("reason")), time.perf_counter()))

    def swipe(self, door: str, card: str, timeout: float = 15.0) -> tuple[float, str] | None:
        req = AccessRequest(new_id(), door, "card", card, time.time(), "bench")
        t0 = time.perf_counter()
        self.bus.publish(self.topics.access_request(door), encode(req))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                rid, reason, t1 = self.results.get(timeout=left)
            except queue.Empty:
                break
            if rid == req.id:
                return t1 - t0, reason
        return None

    def run(self, cards: list[dict[str, str]], until: Any) -> dict[str, Any]:
        rtts: list[float] = []
        reasons: dict[str, int] = {}
        lost, i = 0, 0
        while not until(i):
            c = cards[i % len(cards)]
            i += 1
            got = self.swipe(c["door"], c["card"])
            if got is None:
                lost += 1
                continue
            rtts.append(got[0])
            reasons[got[1]] = reasons.get(got[1], 0) + 1
            time.sleep(0.02)
        return {**summary_ms(rtts), "lost": lost, "reasons": reasons}


def _split(sheet: str) -> tuple[str, str]:
    lines = sheet.splitlines(keepends=True)
    return "".join(lines[: WARM_ROWS + 1]), lines[0] + "".join(lines[WARM_ROWS + 1 :])


def run(tmp: Path, people: str, doors: str, baseline_swipes: int = 300) -> dict[str, Any]:
    """The step; ``people`` is the register's text (the header first)."""
    db = tmp / "doors.db"
    warm, rest = _split(people)
    store = Store(db, SystemClock(), tmp / "keys")
    register_import.import_doors(store, register_sheet.doors(doors), by="bench")
    register_import.import_people(store, register_sheet.people(warm), by="bench")
    cards = sample_cards(store, time.time())
    store.close()
    rows = register_sheet.people(rest)  # read and checked before: the step is the store's
    port = free_port()
    cfg = tmp / "core.toml"
    cfg.write_text(f'[broker]\nport = {port}\n[store]\npath = "{db}"\nkey_dir = "{tmp / "keys"}"\n')
    broker = Mosquitto(port=port, workdir=tmp / "mosquitto").start()
    root = Path(__file__).resolve().parent.parent
    core = subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "core"],
        stdout=subprocess.DEVNULL, stderr=open(tmp / "core.log", "ab"),  # noqa: SIM115
        cwd=root,
    )  # fmt: skip
    try:
        reader = Reader(port, Topics("demo"))
        deadline = time.monotonic() + 120
        while reader.swipe(cards[0]["door"], cards[0]["card"], timeout=2) is None:
            if time.monotonic() > deadline:
                raise RuntimeError((tmp / "core.log").read_text()[-2000:])
        idle = reader.run(cards, lambda i: i >= baseline_swipes)
        writer = Store(db, SystemClock(), tmp / "keys")
        held = timed_lock(writer)
        done = threading.Event()
        out: dict[str, Any] = {}

        def work() -> None:
            t0 = time.perf_counter()
            try:
                out["rows"] = register_import.import_people(writer, rows, by="bench").rows
            finally:
                out["seconds"] = round(time.perf_counter() - t0, 2)
                done.set()

        t = threading.Thread(target=work)
        t.start()
        during = reader.run(cards, lambda i: done.is_set())
        t.join()
        writer.close()
        counters = reader.bus.request("status", {}, timeout=30)["counters"]
    finally:
        core.terminate()
        core.wait(20)
        broker.cleanup()
    return {
        "warm_rows": WARM_ROWS,
        "imported_rows": out.get("rows"),
        "import_s": out["seconds"],
        "write_lock_held_s": round(max(held), 3),
        "idle": idle,
        "during_import": during,
        "p99_ratio": round(during["p99_ms"] / idle["p99_ms"], 2),
        # answered from the decision journal while the import held the log's write lock
        "journaled": counters.get("access.journaled", 0),
    }


def timed_lock(store: Store) -> list[float]:
    """Record how long each of the store's transactions holds the write lock."""
    from contextlib import contextmanager

    held: list[float] = []
    inner = store.transaction

    @contextmanager
    def transaction() -> Any:
        t = time.perf_counter()
        with inner() as c:
            yield c
        held.append(time.perf_counter() - t)

    store.transaction = transaction  # type: ignore[method-assign]
    return held
