"""The uplink to the city platform, against a real Mosquitto with a TLS listener that is killed
during a burst and restarted: every record arrives exactly once after de-duplication, in order,
and nothing biometric crosses the wire."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.broker import Mosquitto, free_port
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.domain.uplink_records import SiteStream, Withheld, envelope, guard
from compound.protocol.topics import Topics
from compound.services.uplink import UplinkSender, status
from compound.services.uplink_platform import PlatformConsumer, PlatformLink
from compound.store.db import Store
from tests.compound.community.tls_certs import make_certs

SECRET_ID = "110101199001011234"
TEMPLATE = "QUJD" * 300  # stands in for an encoded face template


def tls_mosquitto(port: int, certs: dict[str, str], workdir: Path) -> Mosquitto:
    conf = (
        f"listener {port} 127.0.0.1\n"
        f"cafile {certs['ca']}\ncertfile {certs['cert']}\nkeyfile {certs['key']}\n"
        "allow_anonymous true\n"
        # started as root (CI), Mosquitto would drop to its own user and not read the test's
        # private folder; as any other user this line has no effect
        "user root\n"
    )
    return Mosquitto(port=port, extra_config=conf, workdir=workdir)


@pytest.fixture
def certs(tmp_path: Path) -> dict[str, str]:
    return make_certs(tmp_path)


@pytest.fixture
def upstream(tmp_path: Path, certs: dict[str, str]) -> Iterator[Mosquitto]:
    work = tmp_path / "city"
    work.mkdir()
    m = tls_mosquitto(free_port(), certs, work).start()
    yield m
    m.stop()


def test_guard_refuses_biometric_keys_images_and_unmasked_ids() -> None:
    """The last line of defence before the wire: any of these would be a PIPL breach."""
    for bad in (
        {"type": "face", "template": "x"},
        {"nested": {"Face_Embedding": [0.1]}},
        {"list": [{"photo_url": "x"}]},
        {"id_number": SECRET_ID},
        {"blob": TEMPLATE},
        {"person": {"phone": "13800138000"}},
        {"mobile": "+86 138 0013 8000"},
    ):
        with pytest.raises(Withheld):
            guard(bad)
    guard({"type": "passage", "credential": "face", "id_number": "110***********1234"})
    guard({"type": "person", "phone": "138****8000", "mobile": None})


def test_withheld_record_becomes_a_tombstone_with_its_sequence() -> None:
    row = {
        "seq": 7,
        "event_seq": 70,
        "kind": "x",
        "created_at": 1.0,
        "payload": json.dumps({"template": "AAAA"}),
        "withheld": None,
    }
    env = envelope("s1", row)
    assert env["seq"] == 7 and "record" not in env and "template" in env["withheld"]
    assert "AAAA" not in json.dumps(env)


def test_consumer_detects_gaps_and_duplicates() -> None:
    c = PlatformConsumer()

    def msg(seq: int) -> bytes:
        return json.dumps({"site": "s", "seq": seq, "id": f"s:{seq}"}).encode()

    assert [c.receive(msg(s)) for s in (1, 2, 2, 4, 5, 1)] == [
        "new",
        "new",
        "duplicate",
        "new",
        "new",
        "duplicate",
    ]
    assert c.gaps("s") == [3]
    assert [r["seq"] for r in c.sites["s"].records] == [1, 2]
    c.receive(msg(3))
    assert c.gaps("s") == [] and [r["seq"] for r in c.sites["s"].records] == [1, 2, 3, 4, 5]
    assert c.receive(b"{not json") == "invalid"


def seed(store: Store) -> None:
    store.add_unit("1-1-101")
    store.add_person("张三", "1-1-101", "tenant", id_number=SECRET_ID, lease_end="2030-01-01")
    store.append_event(
        "face.enrolled", person_id=1, data={}, uplink={"type": "face", "template": TEMPLATE}
    )


def passage(store: Store, n: int) -> None:
    store.append_event(
        "access.granted",
        door_id="b1",
        person_id=1,
        data={"kind": "card"},
        uplink={"type": "passage", "door": "b1", "credential": "card", "n": n},
    )


def all_confirmed(store: Store, consumer: PlatformConsumer, site: str, timeout: float) -> None:
    n_rows = store.one("SELECT MAX(seq) - MIN(seq) + 1 AS n FROM outbox")
    assert n_rows is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = status(store)
        got = len(consumer.sites.get(site, SiteStream()).records)
        if st["waiting"] == 0 and st["unconfirmed"] == 0 and got >= n_rows["n"]:
            return
        time.sleep(0.05)


@pytest.mark.integration
@pytest.mark.slow
def test_uplink_survives_an_upstream_outage_during_a_burst(
    live_store: Store, upstream: Mosquitto, certs: dict[str, str]
) -> None:
    """SIGKILL the city broker mid-burst, without letting the platform catch up first, keep
    producing, bring it back: whatever the dead broker had acknowledged and not forwarded is sent
    again because the platform never confirmed it, so the platform gets every record once, in
    order, and the captured traffic holds no template, photo or full ID."""
    store = live_store
    site = "site-a"
    seed(store)
    first = store.one("SELECT MIN(seq) AS s FROM outbox")
    assert first is not None
    consumer = PlatformConsumer(start={site: first["s"]})
    captured: list[Message] = []

    tls = BusConfig(port=upstream.port, tls_ca=certs["ca"])
    platform = Bus(tls, Topics("city"), "platform")
    platform.subscribe("#", captured.append)
    link = PlatformLink(platform, consumer, prefix="city")
    platform.start(timeout=10)
    link.start()
    edge = Bus(tls, Topics(site), "uplink-test")
    sender = UplinkSender(
        store,
        edge,
        site,
        prefix="city",
        window=16,
        require_platform_ack=True,
        confirm_timeout_s=1.0,
    )
    edge.start(timeout=10)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), kwargs={"idle_s": 0.02})
    thread.start()
    try:
        total = 1500
        for i in range(total):
            passage(store, i)
            if i == 500:
                upstream.kill()  # SIGKILL, whatever is in flight or queued in it
                at_kill = status(store)
            if i == 1000:
                upstream.start()
            if i % 50 == 0:
                time.sleep(0.01)  # a burst, not one transaction: give the sender a chance
        all_confirmed(store, consumer, site, timeout=30)
    finally:
        stop.set()
        thread.join(10)
        link.stop()
        edge.stop()
        platform.stop()

    st = consumer.sites[site]
    final = status(store)
    assert final["waiting"] == 0 and final["unconfirmed"] == 0, (final, sender.stats)
    assert at_kill["unconfirmed"] + at_kill["waiting"] > 0, "the kill came with records open"
    assert consumer.gaps(site) == [], (consumer.gaps(site)[:10], sender.stats)
    seqs = [r["seq"] for r in st.records]
    want = [r["seq"] for r in store.query("SELECT seq FROM outbox ORDER BY seq")]
    assert seqs == want, "every record exactly once, in order"
    assert len({r["id"] for r in st.records}) == len(st.records)
    passages = [r["record"]["n"] for r in st.records if r["kind"] == "access.granted"]
    assert passages == list(range(total))
    assert sender.stats.reconnects >= 1, "the broker really went away"
    assert final["last_confirmed_seq"] == want[-1]
    # the person record went up with the ID number masked, the face record as a tombstone
    person = next(r for r in st.records if r["kind"] == "person.added")
    assert person["record"]["id_number"] == "110***********1234"
    face = next(r for r in st.records if r["kind"] == "face.enrolled")
    assert "record" not in face and "template" in face["withheld"]
    wire = b"\n".join(m.payload for m in captured)
    assert SECRET_ID.encode() not in wire
    assert TEMPLATE[:64].encode() not in wire
    assert b'"template"' not in wire and b"embedding" not in wire and b"photo" not in wire


@pytest.mark.integration
@pytest.mark.slow
def test_a_record_the_broker_acknowledged_and_lost_in_a_crash_is_sent_again(
    live_store: Store, tmp_path: Path, certs: dict[str, str]
) -> None:
    """The failure the broker's PUBACK cannot show: the city broker takes records (PUBACK) while
    the platform is not reading, then dies by SIGKILL with them queued in memory. The box still
    holds them as unconfirmed and sends them again once the broker is back, and the platform
    ends with every record once, in order."""
    store = live_store
    site = "site-a"
    work = tmp_path / "crash"
    work.mkdir()
    # one message at a time towards each subscriber, so the rest wait in the broker's memory
    broker = tls_mosquitto(free_port(), certs, work)
    broker.extra_config += "max_inflight_messages 1\nmax_queued_messages 10000\n"
    broker.start()
    first_seq = None
    gate = threading.Event()
    consumer = PlatformConsumer()
    tls = BusConfig(port=broker.port, tls_ca=certs["ca"])
    platform = Bus(tls, Topics("city"), "platform")
    # the platform's reader stalls on the first record (a slow database, a long GC pause)
    link = PlatformLink(platform, consumer, prefix="city", on_message=lambda m: gate.wait(20))
    edge = Bus(tls, Topics(site), "uplink-crash")
    sender = UplinkSender(
        store,
        edge,
        site,
        prefix="city",
        window=16,
        require_platform_ack=True,
        confirm_timeout_s=1.0,
    )
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), kwargs={"idle_s": 0.02})
    try:
        platform.start(timeout=10)
        link.start()
        edge.start(timeout=10)
        total = 200
        for i in range(total):
            passage(store, i)
        row = store.one("SELECT MIN(seq) AS s, MAX(seq) AS m FROM outbox")
        assert row is not None
        first_seq, last_seq = row["s"], row["m"]  # the passages and the log's checkpoints
        thread.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and status(store)["waiting"]:
            time.sleep(0.02)
        before = status(store)
        assert before["waiting"] == 0, "the broker acknowledged every record"
        assert before["confirmed"] == 0, "yet the platform confirmed none"
        broker.kill()
        gate.set()
        time.sleep(0.2)
        got_before_restart = len(consumer.sites.get(site, SiteStream()).records)
        assert got_before_restart < total, "records were lost with the broker"
        broker.start()
        all_confirmed(store, consumer, site, timeout=20)
    finally:
        gate.set()
        stop.set()
        if thread.is_alive():
            thread.join(10)
        link.stop()
        edge.stop()
        platform.stop()
        broker.stop()

    final = status(store)
    assert final["waiting"] == 0 and final["unconfirmed"] == 0, (final, sender.stats)
    seqs = [r["seq"] for r in consumer.sites[site].records]
    assert seqs == list(range(first_seq, last_seq + 1)), "each once, in order"
    assert last_seq - first_seq + 1 >= total
    assert sender.stats.resends >= total - got_before_restart, sender.stats
