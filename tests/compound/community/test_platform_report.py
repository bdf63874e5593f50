"""The city platform's district view and its resend pacing, on a throwaway PostgreSQL: what
``compound platform report`` shows per site (last record and its lag, records and passages in
the last hour, open alarms and those for 110) from records a real box wrote, and the ingest
asking a site for the same missing record less and less often instead of every second."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast

import pytest

from compound.adapters.mqtt import Bus
from compound.adapters.platform_db import PlatformDb
from compound.app.cli import main
from compound.domain.clock import SystemClock
from compound.domain.uplink_records import envelope
from compound.protocol.topics import Topics
from compound.services.platform_ingest import Ingest
from compound.store.db import Store
from devkit.memory_bus import MemoryBroker
from devkit.postgres import TempPostgres
from tests.compound.community.city_parts import passage

pytestmark = [pytest.mark.integration]


def envelopes(store: Store, site: str) -> list[dict[str, Any]]:
    rows = store.query("SELECT * FROM outbox ORDER BY seq")
    return [envelope(site, r) for r in rows]


def report(pg: TempPostgres, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    assert main(["platform", "report", "--db", pg.dsn, "--json"]) == 0
    return {s["site"]: s for s in json.loads(capsys.readouterr().out)["sites"]}


def test_the_district_view_from_a_real_boxs_records(
    pg: TempPostgres, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(tmp_path / "r1.db", SystemClock(), tmp_path / "keys")
    store.add_unit("1-1-101")
    store.add_person("李四", "1-1-101", "tenant", id_number="110101199001011234")
    for i in range(5):
        passage(store, i)
    first = store.raise_alarm("door_forced", "door 3 forced", door_id="b1")
    store.raise_alarm("emergency", "button at gate 1", police_110=True)
    store.raise_alarm("tamper", "reader 7 opened")
    store.acknowledge_alarm(first.id, by="王警官")
    old = {"site": "r2", "seq": 1, "id": "r2:1", "kind": "access.granted"}
    db = PlatformDb(pg.dsn)
    try:
        db.commit_batch({"r1": (1, envelopes(store, "r1"))})
        at = time.time() - 7200  # two hours ago, by the box's clock
        db.commit_batch({"r2": (1, [{**old, "at": at, "record": {"type": "passage"}}])})
        stored = " ".join(
            str(r[0]) for r in db._conn.execute("SELECT record::text FROM uplink_records")
        )
    finally:
        db.close()
    store.close()
    view = report(pg, capsys)
    r1, r2 = view["r1"], view["r2"]
    assert r1["records"] == 11  # house, person, 5 passages, 3 alarms, 1 acknowledgement
    assert (r1["records_last_hour"], r1["passages_last_hour"]) == (11, 5)
    assert (r1["open_alarms"], r1["open_110"]) == (2, 1), "the acknowledged one is closed"
    assert 0 <= r1["last_record_age_s"] < 600 and r1["lag_s"] is not None
    assert (r2["records_last_hour"], r2["open_alarms"]) == (0, 0)
    assert 7100 < r2["last_record_age_s"] < 8000
    assert "110101199001011234" not in stored and "王警官" not in stored and "李四" not in stored
    assert main(["platform", "report", "--db", pg.dsn]) == 0
    text = capsys.readouterr().out
    assert "open alarms" in text and "r1" in text and "2.0 h ago" in text


def test_report_without_a_database_says_what_to_give(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPOUND_PLATFORM_DB", raising=False)
    with pytest.raises(SystemExit) as e:
        main(["platform", "report"])
    assert "--db" in str(e.value)


def test_the_ingest_asks_for_the_same_missing_record_less_and_less_often(
    pg: TempPostgres,
) -> None:
    broker = MemoryBroker()
    box = broker.client(Topics("q1"), "uplink-q1")
    asked: list[float] = []
    now = [0.0]
    box.subscribe("city/q1/resend", lambda m: asked.append(now[0]))
    db = PlatformDb(pg.dsn)
    bus = broker.client(Topics("city"), "ingest-q")
    ingest = Ingest(db, cast(Bus, bus), resend_interval_s=1.0, monotonic=lambda: now[0])

    def send(seq: int) -> None:
        env = {"site": "q1", "seq": seq, "id": f"q1:{seq}", "kind": "k", "record": {"n": seq}}
        box.publish("city/q1/outbox", env, qos=1)

    try:
        send(1)
        send(3)  # 2 is missing
        while now[0] < 60.0:
            ingest.step(wait_s=0)
            now[0] += 0.1
        assert asked[0] == 0.0, "asked at once"
        gaps = [b - a for a, b in zip(asked, asked[1:], strict=False)]
        assert 4 <= len(asked) <= 8, asked  # a fixed 1 s interval would have asked 60 times
        assert min(gaps) >= 1.0 - 1e-9 and gaps[-1] > 2 * gaps[0], gaps  # it backs off
        assert max(gaps) <= 30.0 + 0.2, "bounded"
        send(2)
        ingest.step(wait_s=0)
        assert db.site_seqs("q1") == [1, 2, 3]
        n = len(asked)
        send(5)  # a new gap at 4: asked at once, not after the long wait of the last one
        ingest.step(wait_s=0)
        assert len(asked) == n + 1
    finally:
        db.close()


def test_a_new_sites_first_record_to_arrive_is_not_taken_as_its_start(
    pg: TempPostgres,
) -> None:
    """A new site whose first records were dropped on the way (a worker that had not yet got
    the site's bucket) must be asked for them, not acknowledged past them: the acknowledgement
    would make the box drop records the platform never had."""
    broker = MemoryBroker()
    box = broker.client(Topics("n1"), "uplink-n1")
    asked: list[bytes] = []
    acks: list[bytes] = []
    box.subscribe("city/n1/resend", lambda m: asked.append(m.payload))
    box.subscribe("city/n1/ack", lambda m: acks.append(m.payload))
    db = PlatformDb(pg.dsn)
    ingest = Ingest(db, cast(Bus, broker.client(Topics("city"), "ingest-n")))

    def send(seq: int) -> None:
        env = {"site": "n1", "seq": seq, "id": f"n1:{seq}", "kind": "k", "record": {"n": seq}}
        box.publish("city/n1/outbox", env, qos=1)

    try:
        for seq in range(51, 61):
            send(seq)
        ingest.step(wait_s=0)
        assert db.site_seqs("n1") == [] and acks == []
        assert json.loads(asked[0]) == {"site": "n1", "from": 1}
        for seq in range(1, 61):
            send(seq)
        ingest.step(wait_s=0)
        assert db.site_seqs("n1") == list(range(1, 61))
        assert json.loads(acks[-1]) == {"site": "n1", "upto": 60, "id": "n1:60"}
    finally:
        db.close()


def test_refused_records_are_counted_and_shown_on_the_district_view(
    pg: TempPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record naming another site than its topic (the topic is the credential the broker
    checked), one carrying a face template and one that is not a record: nothing stored, each
    counted against the site that sent it, and the district view says so."""
    broker = MemoryBroker()
    box = broker.client(Topics("m1"), "uplink-m1")
    db = PlatformDb(pg.dsn)
    ingest = Ingest(db, cast(Bus, broker.client(Topics("city"), "ingest-m")))
    forged = {"site": "m2", "seq": 1, "id": "m2:1", "kind": "k", "record": {"n": 1}}
    face = {"site": "m1", "seq": 1, "id": "m1:1", "kind": "k", "record": {"template": "QUJD"}}
    try:
        box.publish("city/m1/outbox", forged, qos=1)
        box.publish("city/m1/outbox", face, qos=1)
        box.publish("city/m1/outbox", b"{not json", qos=1)
        ingest.step(wait_s=0)
        assert ingest.stats.refused == 3
        assert db.site_seqs("m1") == [] and db.site_seqs("m2") == []
    finally:
        db.close()
    refused = {
        r["reason"]: r["count"]
        for r in json.loads(_report_json(pg, capsys))["refused"]
        if r["site"] == "m1"
    }
    assert refused == {
        "site does not match its topic": 1,
        "biometric data, an unmasked ID number or phone": 1,
        "malformed": 1,
    }
    assert main(["platform", "report", "--db", pg.dsn]) == 0
    assert "REFUSED from m1: 1 record(s), site does not match its topic" in capsys.readouterr().out


def _report_json(pg: TempPostgres, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["platform", "report", "--db", pg.dsn, "--json"]) == 0
    return capsys.readouterr().out


def test_a_sequence_that_goes_backwards_is_refused_not_taken_for_a_duplicate(
    pg: TempPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    """A replaced box starts again at 1 with new ids: its records are not the ones stored under
    those numbers. Refused and shown, not dropped as duplicates and acknowledged."""
    broker = MemoryBroker()
    box = broker.client(Topics("g1"), "uplink-g1")
    acks: list[bytes] = []
    box.subscribe("city/g1/ack", lambda m: acks.append(m.payload))
    db = PlatformDb(pg.dsn)
    ingest = Ingest(db, cast(Bus, broker.client(Topics("city"), "ingest-g")))

    def send(seq: int, id_: str) -> None:
        env = {"site": "g1", "seq": seq, "id": id_, "kind": "k", "record": {"n": seq}}
        box.publish("city/g1/outbox", env, qos=1)

    try:
        for seq in (1, 2, 3):
            send(seq, f"g1:{seq}")
        ingest.step(wait_s=0)
        heard = len(acks)
        send(2, "g1:2")  # a true duplicate: dropped, acknowledged again
        ingest.step(wait_s=0)
        assert ingest.stats.duplicates == 1 and len(acks) == heard + 1
        send(1, "g1:77")  # the new box's first record
        send(2, "g1:78")
        ingest.step(wait_s=0)
        assert ingest.stats.refused == 2 and ingest.stats.duplicates == 1
        assert len(acks) == heard + 1, "not acknowledged"
        assert db.site_seqs("g1") == [1, 2, 3]
        assert db.record_id_at("g1", 1) == "g1:1"
    finally:
        db.close()
    refused = json.loads(_report_json(pg, capsys))["refused"]
    backwards = [(r["site"], r["count"]) for r in refused if "backwards" in r["reason"]]
    assert [b for b in backwards if b[0] == "g1"] == [("g1", 2)]  # other tests' sites share it


def test_only_registered_sites_are_taken_when_the_platform_asks_for_it(
    pg: TempPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    """``compound platform register`` and ``ingest --registered-only``: an unregistered site's
    records are refused and counted; a registered one starts where it was registered (a box
    whose earlier records went to another platform starts at its next one)."""
    assert main(["platform", "register", "r8", "--next-seq", "40", "--db", pg.dsn]) == 0
    assert "r8: registered, next record #40" in capsys.readouterr().out
    assert main(["platform", "register", "r8", "--db", pg.dsn]) == 0
    assert "already registered, next record #40 (left as it is)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["platform", "register", "a/b", "--db", pg.dsn])
    assert "not a site id" in str(e.value)
    broker = MemoryBroker()
    db = PlatformDb(pg.dsn)
    ingest = Ingest(db, cast(Bus, broker.client(Topics("city"), "ingest-r")), registered_only=True)
    for site, seq in (("r8", 40), ("r8", 41), ("u1", 1), ("u1", 2)):
        box = broker.client(Topics(site), f"uplink-{site}")
        env = {"site": site, "seq": seq, "id": f"{site}:{seq}", "kind": "k", "record": {}}
        box.publish(f"city/{site}/outbox", env, qos=1)
    try:
        ingest.step(wait_s=0)
        assert db.site_seqs("r8") == [40, 41] and db.site_seqs("u1") == []
        assert ingest.stats.refused == 2
    finally:
        db.close()
    refused = json.loads(_report_json(pg, capsys))["refused"]
    assert ("u1", "site not registered", 2) in [
        (r["site"], r["reason"], r["count"]) for r in refused
    ]
