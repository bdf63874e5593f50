"""A register imported while the doors are busy: every swipe is answered, none "system busy".

The real core process on a real Mosquitto decides swipes at the sample compound's doors while a
second writer (its own connection, as ``compound import`` has) imports a sheet of residents in
one transaction. The import's transaction waits, once open, until a swipe has been sent, so at
least one decision is asked for while the import holds the write lock. Every swipe must get a
result that opens the door, the import must be whole, and the log must still verify.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.broker import Mosquitto
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.domain import register_sheet
from compound.domain.clock import SystemClock
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.protocol.topics import Topics
from compound.store import register_import
from compound.store.db import Store
from devkit.sample import sample_cards
from devkit.sample_sheet import doors_csv, people_csv, plan

pytestmark = [pytest.mark.integration]

WAIT_S = 60.0  # a generous bound on each wait: never a deadline the test asserts


def test_an_import_during_door_traffic_leaves_every_swipe_answered(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    p = plan(scale=0.2)
    lines = people_csv(p).splitlines(keepends=True)
    warm, rest = "".join(lines[:301]), lines[0] + "".join(lines[301:])
    db, keys = tmp_path / "core.db", tmp_path / "keys"
    store = Store(db, SystemClock(), keys)
    store.set_setting("site_id", "imp")
    register_import.import_doors(store, register_sheet.doors(doors_csv(p)), by="test")
    register_import.import_people(store, register_sheet.people(warm), by="test")
    cards = sample_cards(store, time.time())[:20]
    people_before = len(store.query("SELECT id FROM people"))
    store.close()
    rows = register_sheet.people(rest)
    assert cards and len(rows) > 2000
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[site]\nid = "imp"\n[broker]\nport = {mosquitto.port}\n'
        f'[store]\npath = "{db}"\nkey_dir = "{keys}"\n'
    )
    topics = Topics("imp")
    results: dict[str, threading.Event] = {}
    reasons: dict[str, str] = {}
    guard = threading.Lock()

    def on_result(m: Message) -> None:
        body = json.loads(m.payload)
        with guard:
            reasons[body["request_id"]] = str(body["reason"])
            results.setdefault(body["request_id"], threading.Event()).set()

    client = Bus(BusConfig(port=mosquitto.port), topics, "swiper")
    online = threading.Event()
    client.subscribe(topics.all("access/+/result"), on_result)
    client.subscribe(
        topics.availability("core"), lambda m: online.set() if m.payload == b"online" else None
    )
    client.start()
    core = subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "core"],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "core.log", "ab"),  # noqa: SIM115
    )

    def swipe(i: int) -> str:
        c = cards[i % len(cards)]
        req = AccessRequest(new_id(), c["door"], "card", c["card"], time.time(), "test")
        with guard:
            results.setdefault(req.id, threading.Event())
        client.publish(topics.access_request(c["door"]), encode(req))
        return req.id

    def answered(rid: str) -> bool:
        with guard:
            done = results[rid]
        return done.wait(WAIT_S)

    try:
        assert online.wait(WAIT_S), (tmp_path / "core.log").read_text()[-2000:]
        assert answered(swipe(0)), (tmp_path / "core.log").read_text()[-2000:]
        writer = Store(db, SystemClock(), keys)
        in_tx, sent, finished = threading.Event(), threading.Event(), threading.Event()
        _hold_open_until(writer, in_tx, sent)
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["imported"] = register_import.import_people(writer, rows, by="test")
            except Exception as e:  # reported by the assertion below
                outcome["error"] = e
            finally:
                finished.set()

        t = threading.Thread(target=work)
        t.start()
        sent_ids = []
        assert in_tx.wait(WAIT_S), "the import never opened its transaction"
        sent_ids.append(swipe(1))  # asked while the import holds the write lock
        sent.set()
        i = 2
        while not finished.is_set():
            rid = swipe(i)
            sent_ids.append(rid)
            assert answered(rid), f"swipe {i} during the import was never answered"
            i += 1
        t.join(WAIT_S)
        sent_ids.append(swipe(i))  # and after it
        for rid in sent_ids:
            assert answered(rid), f"request {rid} was never answered"
        writer.close()
    finally:
        core.terminate()
        core.wait(20)
        client.stop()
    assert "error" not in outcome, outcome
    assert outcome["imported"].rows == len(rows)
    with guard:
        got = [reasons[rid] for rid in sent_ids]
    assert "system busy" not in got
    assert set(got) == {"granted"}, got
    check = Store(db, SystemClock(), keys)
    try:
        assert len(check.query("SELECT id FROM people")) == people_before + len(rows)
        assert check.verify_log().ok
    finally:
        check.close()


def _hold_open_until(store: Store, opened: threading.Event, go_on: threading.Event) -> None:
    """Make the store's outermost transaction wait, once open, until ``go_on`` is set."""
    inner = store.transaction

    @contextmanager
    def transaction() -> Iterator[Any]:
        outer = not store._depth
        with inner() as c:
            if outer and not opened.is_set():
                opened.set()
                go_on.wait(WAIT_S)
            yield c

    store.transaction = transaction  # type: ignore[method-assign]
