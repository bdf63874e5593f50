"""The district view as ``compound platform status`` and as the read-only HTTP API
(``compound platform serve``), on records a real box's uplink sent through a real Mosquitto to
the real ingest and PostgreSQL, and its link state and records waiting as the box reported
them (its status report and its last will): the command and the API answer from the same
queries, the API
answers only GET with JSON (404 and 400 as JSON, no body, bounded headers), and a record
carrying a face template, an unmasked ID number or a phone is refused, counted and shown, and
none of them reaches PostgreSQL or the API."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.mqtt import Bus, BusConfig
from compound.adapters.platform_db import PlatformDb
from compound.app.cli import main
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.services.platform_ingest import Ingest
from compound.services.platform_links import LinkWatch
from compound.services.uplink import UplinkSender, status
from compound.services.uplink_status import publish_status
from compound.store.db import Store
from devkit.postgres import TempPostgres
from tests.compound.community.city_parts import passage

pytestmark = [pytest.mark.integration]

SITE = "dv1"  # unique in the session's PostgreSQL (the cluster tests use d1)
ID_NUMBER = "110101199001011234"
PHONE = "13800138000"
REFUSED = "biometric data, an unmasked ID number or phone"


def wait_for(check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not in {timeout:.0f} s: {what}")


@pytest.fixture
def district(pg: TempPostgres, mosquitto: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """One box drained into PostgreSQL through the ingest, plus three forged records that the
    guard must refuse; yields what the test compares against."""
    store = Store(tmp_path / "d1.db", SystemClock(), tmp_path / "keys")
    store.add_unit("1-1-101")
    store.add_person("李四", "1-1-101", "tenant", id_number=ID_NUMBER, phone=PHONE)
    for i in range(6):
        passage(store, i)
    first = store.raise_alarm("door_forced", "door 3 forced", door_id="b1")
    store.raise_alarm("emergency", "button at gate 1", police_110=True)
    store.acknowledge_alarm(first.id, by="王警官")
    db = PlatformDb(pg.dsn)
    view = PlatformDb(pg.dsn)  # the test's reads: the ingest's connection is in its transactions
    cfg = BusConfig(port=mosquitto.port, protocol=4, replies=False)
    platform = Bus(cfg, Topics("city"), "ingest-d")
    ingest = Ingest(db, platform)
    links = LinkWatch(PlatformDb(pg.dsn), platform)
    box = Bus(cfg, Topics(SITE), f"uplink-{SITE}")
    sender = UplinkSender(store, box, SITE, require_platform_ack=True, confirm_timeout_s=3.0)
    stop, stop_sender = threading.Event(), threading.Event()
    platform.start(timeout=20)
    box.start(timeout=20)
    threads = [ingest.start(stop), threading.Thread(target=sender.run, args=(stop_sender,))]
    threads[1].start()
    threads.append(links.start(stop))

    def link() -> tuple[Any, ...]:
        row = view.district(site=SITE)
        return (row[0]["link"], row[0]["records_waiting"]) if row else (None, None)

    try:
        wait_for(lambda: status(store)["unconfirmed"] == 0 and status(store)["waiting"] == 0,
                 "the box drained and confirmed")  # fmt: skip
        forged = [
            {"record": {"type": "person", "face_template": "QUJDRA=="}},
            {"record": {"type": "person", "id_number": ID_NUMBER}},
            {"record": {"type": "person", "phone": PHONE}},
        ]
        for i, extra in enumerate(forged):
            env = {"site": SITE, "seq": 1000 + i, "id": f"{SITE}:x{i}", "kind": "k", **extra}
            box.publish(f"city/{SITE}/outbox", env, qos=1)
        wait_for(lambda: ingest.stats.refused == 3, "three records refused")
        wait_for(lambda: view.refused(SITE), "the refusals counted in PostgreSQL")
        assert publish_status(box, store, SITE)
        wait_for(lambda: link() == ("online", 0), "the box online, nothing waiting")
        for i in range(4):  # the link goes down with records still to send
            passage(store, 100 + i)
        stop_sender.set()
        threads[1].join(10)
        assert publish_status(box, store, SITE)
        wait_for(lambda: link()[1] == 4, "the four records the box holds")
        box.stop()  # the box drops off: its will, then the district view says offline
        wait_for(lambda: link() == ("offline", 4), "the box offline, four records waiting")
        stored = " ".join(
            str(r[0]) for r in view._conn.execute("SELECT record::text FROM uplink_records")
        )
        view._conn.commit()
        yield {"stored": stored, "records": len(store.query("SELECT seq FROM outbox"))}
    finally:
        stop.set()
        stop_sender.set()
        for t in threads:
            t.join(10)
        box.stop()
        platform.stop()
        db.close()
        view.close()
        links.db.close()
        store.close()


def status_json(pg: TempPostgres, capsys: pytest.CaptureFixture[str], name: str) -> Any:
    assert main(["platform", name, "--db", pg.dsn, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def api(pg: TempPostgres) -> Iterator[tuple[str, int]]:
    """``compound platform serve`` as its own process, on a free port."""
    cmd = [sys.executable, "-m", "compound.app.cli", "platform", "serve", "--db", pg.dsn,
           "--listen", "127.0.0.1:0"]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"http://([\d.]+):(\d+)/", line)
        assert found, line
        yield found.group(1), int(found.group(2))
    finally:
        proc.terminate()
        assert proc.wait(20) == 0, "stops cleanly on SIGTERM"


def get(
    addr: tuple[str, int], path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection(*addr, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        assert r.getheader("Content-Type", "").startswith("application/json"), path
        return r.status, json.loads(body) if body else {}
    finally:
        conn.close()


AGES = ("last_record_age_s", "last_commit_age_s", "link_since_s", "box_report_age_s")


def steady(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in AGES}


def test_status_and_the_api_show_the_same_district_and_nothing_sensitive(
    district: dict[str, Any],
    pg: TempPostgres,
    api: tuple[str, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = status_json(pg, capsys, "status")
    assert [steady(s) for s in status_json(pg, capsys, "report")["sites"]] == [
        steady(s) for s in view["sites"]
    ], "report is status under its older name"
    row = next(s for s in view["sites"] if s["site"] == SITE)
    assert row["records"] == row["next_seq"] - 1 == district["records"] - 4
    assert (row["passages_last_hour"], row["open_alarms"], row["open_110"]) == (6, 1, 1)
    assert row["duplicates"] >= 0 and row["last_commit_age_s"] >= 0
    assert (row["link"], row["records_waiting"]) == ("offline", 4), "what the box said last"
    assert row["link_since_s"] >= 0 and row["box_report_age_s"] >= 0
    mine = [(r["reason"], r["count"]) for r in view["refused"] if r["site"] == SITE]
    assert mine == [(REFUSED, 3)], "template, ID number and phone each refused and counted"

    code, body = get(api, "/district")
    assert code == 200
    assert [steady(s) for s in body["sites"]] == [steady(s) for s in view["sites"]]
    totals = body["totals"]  # the session's PostgreSQL may hold other tests' sites too
    assert totals["refused"] == sum(r["count"] for r in view["refused"]) >= 3
    assert totals["open_110"] == sum(s["open_110"] for s in view["sites"]) >= 1
    assert totals["sites"] == len(view["sites"])
    code, one = get(api, f"/sites/{SITE}")
    assert code == 200 and steady(one["site"]) == steady(row)
    assert [(r["reason"], r["count"]) for r in one["refused"]] == mine
    assert get(api, "/health") == (200, {"ok": True})

    everything = district["stored"] + json.dumps(body, ensure_ascii=False) + json.dumps(one)
    for secret in (ID_NUMBER, PHONE, "QUJDRA==", "李四", "王警官"):
        assert secret not in everything, f"{secret} reached PostgreSQL or the API"

    code, err = get(api, "/sites/nowhere")
    assert code == 404 and "nowhere" in err["error"]
    code, err = get(api, "/sites/a%2Fb")
    assert code == 400 and "not a site id" in err["error"]
    code, err = get(api, "/nothing/here")
    assert code == 404 and "/district" in err["paths"]
    code, err = get(api, "/district", method="POST")
    assert code == 405 and "read-only" in err["error"]
    code, err = get(api, "/district", method="DELETE")
    assert code == 405
    code, err = get(api, "/district", headers={"X-Filler": "x" * 20_000})
    assert code == 431 and "bytes" in err["error"]
    code, err = get(api, "/sites/" + "a" * 10_000)
    assert code == 431, "an overlong request line is cut off, not read on"
    code, err = get(api, "/district", headers={"Content-Length": "5"})
    assert code == 413


def test_serve_refuses_a_listen_address_it_cannot_use(pg: TempPostgres) -> None:
    with pytest.raises(SystemExit) as e:
        main(["platform", "serve", "--db", pg.dsn, "--listen", "nowhere"])
    assert "HOST:PORT" in str(e.value)
