"""Bad input at the city platform raises an alarm on the district view, on a real PostgreSQL:
a record from a site that is not registered, a sequence that goes backwards, a face template
and an unmasked ID number, a record naming another site than the credential it came with. Each
is refused, nothing of it is written, it is counted, and it stays an open alarm (in
``compound platform status``, its ``--json`` and the HTTP API) until an operator acknowledges it
with ``compound platform acknowledge``; the next refusal opens it again."""

from __future__ import annotations

import http.client
import json
from typing import Any, cast

import pytest

from compound.adapters.http_json import JsonApi
from compound.adapters.mqtt import Bus
from compound.adapters.platform_db import PlatformDb
from compound.app.cli import main
from compound.protocol.topics import Topics
from compound.services import district_view
from compound.services.platform_ingest import Ingest
from devkit.memory_bus import MemoryBroker
from devkit.postgres import TempPostgres

pytestmark = [pytest.mark.integration]

MINE = ("ra1", "ra2", "ra9")  # unique in the session's PostgreSQL (ra3: the second test)


def status(pg: TempPostgres, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["platform", "status", "--db", pg.dsn, "--json"]) == 0
    view: dict[str, Any] = json.loads(capsys.readouterr().out)
    return view


def alarms(view: dict[str, Any], sites: tuple[str, ...] = MINE) -> set[tuple[str, str, int, int]]:
    return {
        (a["site"], a["kind"], a["count"], a["total"]) for a in view["alarms"] if a["site"] in sites
    }


def acknowledge(pg: TempPostgres, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["platform", "acknowledge", *args, "--db", pg.dsn]) == 0
    return capsys.readouterr().out


def get(api: JsonApi, path: str) -> tuple[int, dict[str, Any]]:
    host, port = api.address
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        body: dict[str, Any] = json.loads(r.read())
        return r.status, body
    finally:
        conn.close()


def test_bad_input_is_refused_counted_and_alarmed_until_acknowledged(
    pg: TempPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["platform", "register", "ra1", "--db", pg.dsn]) == 0
    capsys.readouterr()
    broker = MemoryBroker()
    db = PlatformDb(pg.dsn)
    ingest = Ingest(db, cast(Bus, broker.client(Topics("city"), "ingest-ra")), registered_only=True)

    def send(topic_site: str, seq: int, id_: str, record: dict[str, Any], site: str = "") -> None:
        box = broker.client(Topics(topic_site), f"uplink-{topic_site}")
        env = {"site": site or topic_site, "seq": seq, "id": id_, "kind": "k", "record": record}
        box.publish(f"city/{topic_site}/outbox", env, qos=1)

    api = JsonApi("127.0.0.1", 0, lambda path: district_view.answer(db, path))
    api.start()
    try:
        for seq in (1, 2, 3):
            send("ra1", seq, f"ra1:{seq}", {"type": "passage"})
        ingest.step(wait_s=0)
        send("ra9", 1, "ra9:1", {"type": "passage"})  # never registered
        send("ra1", 2, "ra1:77", {"type": "passage"})  # a replaced box starting again
        send("ra1", 4, "ra1:4", {"type": "person", "face_template": "QUJD"})
        send("ra1", 4, "ra1:4", {"type": "person", "id_number": "110101199001011234"})
        send("ra1", 4, "ra2:4", {"type": "passage"}, site="ra2")  # ra1's credential, ra2's record
        ingest.step(wait_s=0)
        assert ingest.stats.refused == 5
        assert db.site_seqs("ra1") == [1, 2, 3], "nothing of the refused records written"
        assert db.site_seqs("ra9") == [] and db.site_seqs("ra2") == []
        assert db.record_id_at("ra1", 2) == "ra1:2"

        view = status(pg, capsys)
        assert alarms(view) == {
            ("ra9", "unregistered_site", 1, 1),
            ("ra1", "sequence_backwards", 1, 1),
            ("ra1", "sensitive_data", 2, 2),
            ("ra1", "credential_of_another_site", 1, 1),
        }
        ra1 = next(s for s in view["sites"] if s["site"] == "ra1")
        assert ra1["refused_unacknowledged"] == 4
        stored = " ".join(
            str(r[0]) for r in db._conn.execute("SELECT record::text FROM uplink_records")
        )
        assert "QUJD" not in stored and "110101199001011234" not in stored
        assert main(["platform", "status", "--db", pg.dsn]) == 0
        text = capsys.readouterr().out
        assert "ALARM refused from ra9: 1 record(s) not acknowledged, unregistered_site" in text
        assert "compound platform acknowledge ra1 --kind sensitive_data" in text

        code, body = get(api, "/alarms")
        assert code == 200
        assert {
            (a["site"], a["kind"], a["count"]) for a in body["alarms"] if a["site"] in MINE
        } == {(s, k, n) for s, k, n, _ in alarms(view)}
        code, body = get(api, "/sites/ra1")
        assert code == 200 and body["site"]["refused_unacknowledged"] == 4
        assert {a["kind"] for a in body["alarms"]} == {
            "sequence_backwards",
            "sensitive_data",
            "credential_of_another_site",
        }
        code, body = get(api, "/district")
        assert code == 200 and body["totals"]["refused_unacknowledged"] >= 5

        out = acknowledge(pg, capsys, "ra1", "--kind", "sensitive_data")
        assert "ra1: 2 refused record(s) acknowledged" in out
        view = status(pg, capsys)
        assert ("ra1", "sensitive_data", 2, 2) not in alarms(view)
        assert ("ra1", "sequence_backwards", 1, 1) in alarms(view), "other kinds stay open"
        counted = {(r["site"], r["kind"]): r["count"] for r in view["refused"]}
        assert counted[("ra1", "sensitive_data")] == 2, "the count stays after acknowledging"

        send("ra1", 4, "ra1:4", {"type": "person", "face_template": "QUJE"})
        ingest.step(wait_s=0)
        view = status(pg, capsys)
        assert ("ra1", "sensitive_data", 1, 3) in alarms(view), "the next refusal opens it again"
        code, body = get(api, "/alarms")
        assert ("ra1", "sensitive_data", 1) in {
            (a["site"], a["kind"], a["count"]) for a in body["alarms"]
        }

        assert "ra9: 1 refused record(s) acknowledged" in acknowledge(pg, capsys, "ra9")
        assert "no refusal alarm open for ra9" in acknowledge(pg, capsys, "ra9")
        assert not [a for a in alarms(status(pg, capsys)) if a[0] == "ra9"]
    finally:
        api.stop()
        db.close()


def test_acknowledge_refuses_what_it_cannot_mean(
    pg: TempPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kind that does not exist, a site id that cannot be one, no site at all: a clear
    message, and no alarm acknowledged."""
    db = PlatformDb(pg.dsn)
    try:
        db.count_refused({("ra3", "malformed"): 2})
        for args, says in (
            (["ra3", "--kind", "bogus"], "no refusal kind 'bogus'"),
            (["a/b"], "is not a site id"),
            ([], "give one SITE, or --all-sites"),
            (["ra3", "--all-sites"], "give one SITE, or --all-sites"),
        ):
            with pytest.raises(SystemExit) as e:
                main(["platform", "acknowledge", *args, "--db", pg.dsn])
            assert says in str(e.value)
        assert ("ra3", "malformed", 2, 2) in alarms(status(pg, capsys), ("ra3",)), "still open"
        assert "ra3: 2 refused record(s) acknowledged" in acknowledge(pg, capsys, "ra3")
    finally:
        db.close()
