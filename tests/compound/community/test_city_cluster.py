"""The city tier on a real cluster: compounds' uplinks drain into a three-node NATS cluster
(JetStream, MQTT gateway, each site with its own credential) and ``compound platform ingest``
commits every record to PostgreSQL exactly once, in order, acknowledging after the commit; a
node killed mid-drain and an ingest killed and restarted lose nothing and double nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.mqtt import Bus, Message
from compound.adapters.platform_db import PlatformDb
from compound.protocol.topics import Topics
from compound.services import district_view
from compound.services.uplink import status
from compound.services.uplink_status import publish_status
from devkit.city_cluster import PLATFORM_USER, CityCluster, nats_server
from devkit.postgres import TempPostgres
from tests.compound.community.city_parts import (
    Boxes,
    Platform,
    assert_exactly_once,
    box,
    need,
    passage,
)
from tests.compound.community.tls_certs import make_certs

pytestmark = [pytest.mark.integration]

SITES = ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "d1", "d2", "x1", "x2"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[CityCluster]:
    need(nats_server(), "nats-server (Debian package nats-server)")
    c = CityCluster(sites=SITES, nodes=3).start()
    yield c
    c.stop()


def test_a_site_cannot_publish_or_listen_under_another_sites_topics(
    cluster: CityCluster,
) -> None:
    got: list[Message] = []
    platform = Bus(cluster.bus_config(PLATFORM_USER, 1), Topics("city"), "platform-perm")
    platform.subscribe("city/+/outbox", got.append)
    platform.start(timeout=20)
    intruder = Bus(cluster.bus_config("x1", 0), Topics("x1"), "uplink-x1")
    heard: list[Message] = []
    intruder.subscribe("city/x2/ack", heard.append)
    own_acks: list[Message] = []
    intruder.subscribe("city/x1/ack", own_acks.append)
    intruder.start(timeout=20)
    try:
        # Each sender's second message is the fence for its first: one sender's messages
        # arrive in order, so once the second is in, the first was either delivered or refused.
        platform.publish("city/x2/ack", b'{"site":"x2","upto":5}', qos=1, retain=True)
        platform.publish("city/x1/ack", b'{"site":"x1","upto":0}', qos=1)
        intruder.publish("city/x2/outbox", b'{"site":"x2","seq":1,"id":"x2:1"}', qos=1)
        intruder.publish("city/x1/outbox", b'{"site":"x1","seq":1,"id":"x1:1"}', qos=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (
            any(m.topic == "city/x1/outbox" for m in got) and own_acks
        ):
            time.sleep(0.1)
        assert own_acks, "the site never heard its own acknowledgement: the test cannot judge"
        assert [m.topic for m in got] == ["city/x1/outbox"], "only its own topic gets through"
        assert heard == [], "a site does not hear another site's acknowledgement"
    finally:
        intruder.stop()
        platform.stop()


def test_boxes_drain_through_the_cluster_into_postgres(
    cluster: CityCluster, pg: TempPostgres, tmp_path: Path
) -> None:
    stores = {s: box(tmp_path, s, 200) for s in ("a1", "a2", "a3")}
    platform = Platform(cluster, pg, 1, "ingest-a", links=True)
    boxes = Boxes(cluster, stores, [0, 1, 2])
    try:
        for i in range(100):  # more traffic while it drains
            for s in stores.values():
                passage(s, 200 + i)
        assert boxes.drained(60), {s: status(st) for s, st in stores.items()}
        # the district view's link state through the cluster: each box's own status topic
        # and its uplink's availability, allowed by its credential and read by the platform
        for s, st in stores.items():
            assert publish_status(boxes.buses[s], st, s)
        deadline = time.monotonic() + 60
        links: dict[str, tuple[object, object]] = {}
        view = PlatformDb(pg.dsn)  # its own connection: the ingest's is in its transactions
        try:
            while time.monotonic() < deadline and set(links.values()) != {("online", 0)}:
                rows = [r for r in view.district() if r["site"] in stores]
                links = {r["site"]: (r["link"], r["records_waiting"]) for r in rows}
                time.sleep(0.2)
        finally:
            view.close()
        assert links == dict.fromkeys(stores, ("online", 0))
    finally:
        boxes.close()
        platform.close()
    assert_exactly_once(pg, stores)
    assert platform.ingest.stats.refused == 0


def test_a_node_killed_mid_drain_loses_and_doubles_nothing(
    cluster: CityCluster, pg: TempPostgres, tmp_path: Path
) -> None:
    stores = {s: box(tmp_path, s, 300) for s in ("b1", "b2", "b3")}
    platform = Platform(cluster, pg, 0, "ingest-b")
    boxes = Boxes(cluster, stores, [0, 1, 2])
    victim = cluster.members[2]
    try:
        time.sleep(0.5)
        cluster.kill(victim)  # b3's node, and a JetStream peer of every MQTT stream
        for i in range(200):
            for s in stores.values():
                passage(s, 300 + i)
        time.sleep(2)
        cluster.start_node(victim)
        assert boxes.drained(90), {s: status(st) for s, st in stores.items()}
    finally:
        boxes.close()
        platform.close()
        if victim.proc is None:
            cluster.start_node(victim)
        cluster.wait_ready(30)
    assert_exactly_once(pg, stores)
    assert boxes.senders["b3"].stats.reconnects >= 1, "the box on the killed node came back"


def test_ingest_killed_and_restarted_resumes_from_next_seq(
    cluster: CityCluster, pg: TempPostgres, tmp_path: Path
) -> None:
    stores = {s: box(tmp_path, s, 400) for s in ("c1", "c2")}
    first = Platform(cluster, pg, 1, "ingest-c")
    boxes = Boxes(cluster, stores, [0, 2])
    second: Platform | None = None
    try:
        deadline = time.monotonic() + 30
        while first.ingest.stats.committed < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        # gone without a word: whatever it had received and not committed is lost with it
        first.close()
        for i in range(200):
            for s in stores.values():
                passage(s, 400 + i)
        resumed_at = PlatformDb(pg.dsn)
        at = resumed_at.next_seqs()
        resumed_at.close()
        assert at.get("c1", 0) > 1 or at.get("c2", 0) > 1, "it had committed some"
        second = Platform(cluster, pg, 1, "ingest-c")
        assert boxes.drained(60), {s: status(st) for s, st in stores.items()}
    finally:
        boxes.close()
        if second is not None:
            second.close()
    assert_exactly_once(pg, stores)


def test_a_gap_asks_the_site_to_resend_from_n(cluster: CityCluster, pg: TempPostgres) -> None:
    platform = Platform(cluster, pg, 0, "ingest-x")
    site = Bus(cluster.bus_config("x2", 1), Topics("x2"), "uplink-x2")
    asked: list[dict[str, object]] = []
    site.subscribe("city/x2/resend", lambda m: asked.append(json.loads(m.payload)))
    site.start(timeout=20)

    def send(seq: int, record: dict[str, object] | None = None) -> None:
        rec = record or {"n": seq}
        env = {"site": "x2", "seq": seq, "id": f"x2:{seq}", "kind": "k", "record": rec}
        site.publish("city/x2/outbox", env, qos=1)

    try:
        send(1)
        send(3)
        deadline = time.monotonic() + 15
        while not asked and time.monotonic() < deadline:
            time.sleep(0.1)
        assert asked and asked[0] == {"site": "x2", "from": 2}
        send(2)
        send(3)
        deadline = time.monotonic() + 15
        while platform.ingest.stats.committed < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        send(4, {"type": "face", "template": "QUJD"})
        deadline = time.monotonic() + 10
        while platform.ingest.stats.refused < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert platform.ingest.stats.refused == 1, "a face template is refused, not stored"
    finally:
        site.stop()
        platform.close()
    db = PlatformDb(pg.dsn)
    try:
        assert db.site_seqs("x2") == [1, 2, 3]
        alarms = district_view.district(db)["alarms"]
        assert [(a["kind"], a["count"]) for a in alarms if a["site"] == "x2"] == [
            ("sensitive_data", 1)
        ], "the refusal is an alarm on the district view"
    finally:
        db.close()


def test_postgres_restarted_mid_drain_loses_and_doubles_nothing(
    cluster: CityCluster, pg: TempPostgres, tmp_path: Path
) -> None:
    stores = {s: box(tmp_path, s, 300) for s in ("d1", "d2")}
    platform = Platform(cluster, pg, 2, "ingest-d")
    boxes = Boxes(cluster, stores, [0, 1])
    try:
        deadline = time.monotonic() + 30
        while platform.ingest.stats.committed < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        pg.restart("immediate")  # a crash: no shutdown checkpoint, recovery from the WAL
        for i in range(100):
            for s in stores.values():
                passage(s, 300 + i)
        assert boxes.drained(60), {s: status(st) for s, st in stores.items()}
    finally:
        boxes.close()
        platform.close()
    assert platform.ingest.stats.commit_failures >= 1, "the database really went away"
    assert_exactly_once(pg, stores)


def test_a_site_drains_over_tls(tmp_path: Path, pg: TempPostgres) -> None:
    need(nats_server(), "nats-server (Debian package nats-server)")
    certs = make_certs(tmp_path)
    tls = CityCluster(sites=["t1"], nodes=3, tls=certs).start()
    try:
        assert tls.bus_config("t1").tls_ca == certs["ca"]
        stores = {"t1": box(tmp_path, "t1", 100)}
        platform = Platform(tls, pg, 1, "ingest-t")
        boxes = Boxes(tls, stores, [0])
        try:
            assert boxes.drained(60), status(stores["t1"])
        finally:
            boxes.close()
            platform.close()
        assert_exactly_once(pg, stores)
    finally:
        tls.stop()
