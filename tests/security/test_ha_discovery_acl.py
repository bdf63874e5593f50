"""Home Assistant discovery on the shipped broker config: a bridge may write the discovery
configs of its own doors (a lock and the door's sensors), and no other door's; no other device
writes under ``homeassistant/`` at all. Home Assistant takes a lock's command topic from its
retained config, so a config written for another door could point that door's lock anywhere.

Judged as in tests/security/test_acl_matrix.py, with the fence technique: the observer is the
``ha`` device (it may read ``homeassistant/#`` and every device's availability); each publisher
follows its probe with a fence on its own availability topic, and once the fence is in, a
denied probe can no longer come.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compound.adapters.mqtt import Bus
from compound.protocol.messages import new_id
from compound.protocol.topics import ha_door_discovery_topics
from tests.security.conftest import SITE, SecuredBroker
from tests.security.test_acl_matrix import Seen

pytestmark = [pytest.mark.integration]

D1, D2, D3 = (ha_door_discovery_topics(SITE, d) for d in ("d1", "d2", "d3"))

# (client, absolute topic, allowed). bridge1 serves d1 and d2, relay3 d3, panel1 stands at d1.
PUBLISH = [
    ("bridge1", D1["lock"], True),
    ("bridge1", D1["contact"], True),
    ("bridge1", D2["fire"], True),
    ("bridge1", D3["lock"], False),  # not its door: relay3's
    ("bridge1", D3["contact"], False),
    ("bridge1", "homeassistant/lock/other_d1/config", False),  # another site's d1
    ("bridge1", "homeassistant/lock/sec_d1/attributes", False),  # only the config topics
    ("relay3", D3["lock"], False),  # a relay node publishes no discovery
    ("panel1", D1["lock"], False),  # not even for the door it stands at
    ("panel1", "homeassistant/binary_sensor/sec_x/config", False),
    ("console1", D1["lock"], False),
    ("console1", "homeassistant/switch/sec_x/config", False),
    ("ha1", D1["lock"], False),  # Home Assistant reads the configs, it does not write them
]


@pytest.fixture(scope="module")
def observer(secured: SecuredBroker) -> Iterator[Seen]:
    # Its own client id: the publishing ha1 below keeps the plain one.
    bus = secured.bus("ha1", client_id=f"ha1-watch-{new_id()[:8]}")
    seen = Seen()
    bus.subscribe("homeassistant/#", seen)
    bus.subscribe(secured.topics.availability("+"), seen)
    bus.start(timeout=10)  # returns once the broker has acknowledged the subscriptions
    yield seen
    bus.stop()


@pytest.mark.parametrize(("name", "topic", "allowed"), PUBLISH)
def test_discovery_publish(
    secured: SecuredBroker,
    observer: Seen,
    clients: dict[str, Bus],
    name: str,
    topic: str,
    allowed: bool,
) -> None:
    if name not in clients:
        clients[name] = secured.bus(name)
        clients[name].start(timeout=10)
    bus = clients[name]
    payload = f"probe-{new_id()}".encode()
    fence = f"fence-{new_id()}".encode()
    bus.publish(topic, payload, qos=1, retain=True)  # retained, as the bridge publishes them
    bus.publish(secured.topics.availability(name), fence, qos=1)
    assert observer.wait(fence), f"fence from {name} never arrived: the test cannot judge"
    arrived = payload in observer.payloads
    assert arrived == allowed, f"{name} publishing on {topic}: arrived={arrived}"
