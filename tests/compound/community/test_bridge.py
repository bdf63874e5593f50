"""Growing past one box: an edge Mosquitto carries city/<site>/outbox to a second, "city"
Mosquitto over TLS using the bridge config we ship (only the ports and paths filled in), the
platform's acknowledgement comes back, and nothing else from the local bus crosses."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from compound.adapters.broker import Mosquitto, free_port
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.protocol.topics import Topics
from tests.compound.community.tls_certs import make_certs

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "systemd" / "mosquitto" / "bridge-city.conf.example"


@pytest.mark.integration
def test_edge_bridges_site_records_to_the_city_broker(tmp_path: Path) -> None:
    certs = make_certs(tmp_path)
    city_dir, edge_dir = tmp_path / "city", tmp_path / "edge"
    city_dir.mkdir()
    edge_dir.mkdir()
    city_port, edge_port = free_port(), free_port()
    city = Mosquitto(
        port=city_port,
        workdir=city_dir,
        extra_config=(
            f"listener {city_port} 127.0.0.1\ncafile {certs['ca']}\n"
            f"certfile {certs['cert']}\nkeyfile {certs['key']}\nallow_anonymous true\nuser root\n"
        ),
    ).start()
    bridge = (
        SHIPPED.read_text()
        .replace("@@CITY_HOST@@", "127.0.0.1")
        .replace("@@CITY_PORT@@", str(city_port))
        .replace("@@SITE@@", "site-a")
        .replace("@@CITY_CA@@", certs["ca"])
        .replace("@@EDGE_CERT@@", certs["cert"])
        .replace("@@EDGE_KEY@@", certs["key"])
    )
    assert "@@" not in bridge, "every placeholder of the shipped config is filled"
    edge = Mosquitto(
        port=edge_port,
        workdir=edge_dir,
        extra_config=f"listener {edge_port} 127.0.0.1\nallow_anonymous true\nuser root\n" + bridge,
    ).start()
    got: list[Message] = []
    arrived = threading.Event()

    def on_city(m: Message) -> None:
        got.append(m)
        if m.topic == "city/site-a/outbox" and m.payload == b'{"seq":3}':
            arrived.set()

    city_bus = Bus(BusConfig(port=city_port, tls_ca=certs["ca"]), Topics("city"), "platform")
    edge_bus = Bus(BusConfig(port=edge_port), Topics("site-a"), "uplink")
    acked = threading.Event()
    edge_bus.subscribe(
        "city/site-a/ack", lambda m: acked.set() if b'"upto":3' in m.payload else None
    )
    try:
        city_bus.subscribe("city/#", on_city)
        city_bus.subscribe("compound/#", on_city)
        city_bus.start(timeout=10)
        edge_bus.start(timeout=10)
        # the bridge connects asynchronously; publish until the city has seen the first record
        for _ in range(100):
            edge_bus.publish("city/site-a/outbox", b'{"seq":1}')
            if any(m.topic == "city/site-a/outbox" for m in got):
                break
            arrived.wait(0.1)
        edge_bus.publish("compound/site-a/door/b1/cmd", b"local only")
        edge_bus.publish("city/site-a/outbox", b'{"seq":3}')
        assert arrived.wait(10), "records published on the edge reach the city broker"
        # (the platform's own availability topic lives under compound/city/ on the city broker)
        leaked = [m.topic for m in got if m.topic.startswith("compound/site-a/")]
        assert leaked == [], "the local bus stays local"
        # the platform's acknowledgement comes back to the box through the same bridge
        for _ in range(100):
            city_bus.publish("city/site-a/ack", b'{"site":"site-a","upto":3}', retain=True)
            if acked.wait(0.1):
                break
        assert acked.is_set(), "the platform's acknowledgement reaches the box"
    finally:
        edge_bus.stop()
        city_bus.stop()
        edge.cleanup()
        city.cleanup()
