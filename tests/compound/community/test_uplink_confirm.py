"""End-to-end confirmation of uplink records, on a manual clock with a stand-in bus: a record is
done only when the platform's cumulative acknowledgement covers it, never on the broker's PUBACK
alone, and what the platform does not confirm is sent again, oldest first, in order."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from compound.adapters.mqtt import Bus, Message
from compound.app.cli import main
from compound.domain.clock import ManualClock
from compound.domain.uplink_records import ack_message, ack_topic, parse_ack
from compound.protocol.messages import canonical
from compound.services.uplink import UplinkSender, status
from compound.services.uplink_platform import PlatformConsumer
from compound.store.db import Store

SITE = "site-a"


class Done:
    def __init__(self, done: bool = True) -> None:
        self.ok = done

    def done(self) -> bool:
        return self.ok


class StandInBus:
    """Records what would go on the wire; every publish is PUBACKed at once unless told."""

    def __init__(self) -> None:
        self.connected = True
        self.connects = 1
        self.sent: list[dict[str, Any]] = []
        self.deliveries: list[Done] = []
        self.handlers: dict[str, Callable[[Message], None]] = {}
        self.puback = True

    def publish_tracked(self, topic: str, payload: dict[str, Any], *, qos: int = 1) -> Done:
        self.sent.append(payload)
        self.deliveries.append(Done(self.puback))
        return self.deliveries[-1]

    def subscribe(
        self, topic_filter: str, handler: Callable[[Message], None], qos: int = 1
    ) -> None:
        self.handlers[topic_filter] = handler

    def ack(self, upto: int, site: str = SITE) -> None:
        payload = canonical(ack_message(site, upto))
        self.handlers[ack_topic("city", SITE)](Message(ack_topic("city", SITE), payload))

    def seqs(self) -> list[int]:
        return [int(p["seq"]) for p in self.sent]


def fill(store: Store, n: int) -> list[int]:
    for i in range(n):
        store.append_event("access.granted", door_id="b1", uplink={"type": "passage", "n": i})
    return [r["seq"] for r in store.query("SELECT seq FROM outbox ORDER BY seq")]


def sender(store: Store, bus: StandInBus, **kw: Any) -> UplinkSender:
    kw.setdefault("require_platform_ack", True)
    kw.setdefault("confirm_timeout_s", 10.0)
    return UplinkSender(store, cast(Bus, bus), SITE, "city", window=8, **kw)


def sent(
    store: Store, n: int, pumps: int = 1, **kw: Any
) -> tuple[list[int], StandInBus, UplinkSender]:
    """``n`` records in the outbox and a sender (``kw``) on a stand-in bus, pumped ``pumps``
    times: the first pump sends, the next collects the broker's PUBACKs."""
    seqs = fill(store, n)
    bus = StandInBus()
    s = sender(store, bus, **kw)
    for _ in range(pumps):
        s.pump()
    return seqs, bus, s


def confirmed_through(
    store: Store, n: int, last: int
) -> tuple[list[int], StandInBus, UplinkSender]:
    """``n`` records sent and taken by the broker, and the platform's acknowledgement of
    them up to ``seqs[last]`` heard."""
    seqs, bus, s = sent(store, n, pumps=2)
    bus.ack(seqs[last])
    s.pump()
    return seqs, bus, s


def confirmed(store: Store) -> list[int]:
    rows = store.query("SELECT seq FROM outbox WHERE confirmed_at IS NOT NULL ORDER BY seq")
    return [r["seq"] for r in rows]


def test_puback_alone_does_not_confirm_and_the_platform_ack_does(store: Store) -> None:
    """The outage that lost a record: the broker's PUBACK came back, the record never reached the
    platform. Only the platform's acknowledgement may close a record, and only up to where it
    says."""
    seqs, bus, s = sent(store, 5, pumps=2)
    st = status(store)
    assert (st["waiting"], st["unconfirmed"], st["confirmed"]) == (0, 5, 0)
    bus.ack(seqs[2])
    s.pump()
    assert confirmed(store) == seqs[:3]
    st = status(store)
    assert (st["waiting"], st["unconfirmed"], st["confirmed"]) == (0, 2, 3)
    assert st["last_confirmed_seq"] == seqs[2] and st["oldest_unconfirmed_seq"] == seqs[3]


def test_unconfirmed_records_are_sent_again_in_order_after_the_timeout(
    store: Store, clock: ManualClock
) -> None:
    """A record the broker acknowledged and then lost in a crash leaves the platform's
    acknowledgement stuck below it; after confirm_timeout_s the box sends again from the oldest
    unconfirmed record, in order, and stops once the platform confirms."""
    seqs, bus, s = sent(store, 6, confirm_timeout_s=10.0)
    bus.ack(seqs[1])  # the platform got the first two; the rest died with the broker
    clock.advance(9.9)
    s.pump()
    assert bus.seqs() == seqs, "nothing sent again before the timeout"
    clock.advance(0.1)
    s.pump()
    assert bus.seqs() == seqs + seqs[2:], "sent again from the oldest unconfirmed, in order"
    assert s.stats.timeouts == 1 and s.stats.resends == 4
    bus.ack(seqs[-1])
    s.pump()
    clock.advance(60)
    s.pump()
    assert bus.seqs() == seqs + seqs[2:], "nothing more once all is confirmed"
    assert confirmed(store) == seqs


def test_a_reconnect_sends_again_from_the_oldest_unconfirmed(store: Store) -> None:
    """After a reconnect nothing the platform has not confirmed is trusted, PUBACK or not."""
    seqs, bus, s = confirmed_through(store, 4, 0)
    bus.connects += 1
    s.pump()
    assert bus.seqs() == seqs + seqs[1:]
    assert s.stats.reconnects == 1 and s.stats.resends == 3


def test_a_restarted_sender_resends_what_was_sent_but_not_confirmed(store: Store) -> None:
    """The box restarting is a reconnect too: sent_at in the database does not count."""
    seqs, _, _ = confirmed_through(store, 3, 0)
    bus2 = StandInBus()
    sender(store, bus2).pump()
    assert bus2.seqs() == seqs[1:]


def test_unconfirmed_records_are_bounded(store: Store) -> None:
    """Flow control: no more than max_unconfirmed records out before the platform confirms."""
    seqs, bus, s = sent(store, 40, pumps=5, max_unconfirmed=10)
    assert bus.seqs() == seqs[:10]
    bus.ack(seqs[4])
    s.pump()
    assert bus.seqs() == seqs[:15]


def test_bad_or_foreign_acknowledgements_confirm_nothing(store: Store) -> None:
    """The acknowledgement is input from the network: another site's, a malformed one, or one
    beyond what was ever sent must not close a record the platform never got."""
    seqs, bus, s = sent(store, 3, max_unconfirmed=8)
    h = bus.handlers[ack_topic("city", SITE)]
    for bad in (b"{not json", b"[1]", b'{"site":"site-a","upto":true}', b'{"site":"site-a"}'):
        h(Message("x", bad))
    bus.ack(seqs[-1], site="site-b")
    s.pump()
    assert confirmed(store) == [] and s.stats.acks_refused == 5
    assert parse_ack(b'{"site":"site-a","upto":-1}', SITE) is None
    # an acknowledgement far beyond what was sent confirms only what was sent
    more = fill(store, 2)[-2:]
    bus.ack(more[-1] + 100)
    s.pump()
    assert confirmed(store) == seqs, "the two new records were not sent when the ack came"


def test_without_platform_ack_the_puback_confirms(store: Store) -> None:
    """require_platform_ack = false, for a platform that does not acknowledge: the old
    contract, and the outbox still drains and prunes."""
    seqs, bus, s = sent(store, 3, pumps=2, require_platform_ack=False)
    assert confirmed(store) == seqs and ack_topic("city", SITE) not in bus.handlers
    assert status(store)["unconfirmed"] == 0


def test_prune_keeps_every_unconfirmed_record(store: Store, clock: ManualClock) -> None:
    """Retention may only drop what the platform holds: a sent, unconfirmed record stays however
    old it is."""
    seqs, _, s = confirmed_through(store, 4, 1)
    clock.advance(90 * 86400)
    assert s.prune(30 * 86400) == 2
    left = [r["seq"] for r in store.query("SELECT seq FROM outbox ORDER BY seq")]
    assert left == seqs[2:]


def test_platform_acknowledges_cumulatively_and_again_after_a_duplicate() -> None:
    """The platform's side of the contract: it acknowledges the highest contiguous sequence it
    holds, never past a gap, and repeats it when a duplicate shows the box did not hear it."""
    c = PlatformConsumer()

    def msg(seq: int) -> bytes:
        return json.dumps({"site": SITE, "seq": seq, "id": f"{SITE}:{seq}"}).encode()

    for seq in (1, 2, 4):
        c.receive(msg(seq))
    assert c.acks_due() == [(SITE, 2)]
    assert c.acks_due() == []
    c.receive(msg(3))
    assert c.acks_due() == [(SITE, 4)] and c.acked_upto(SITE) == 4
    c.receive(msg(2))
    assert c.acks_due() == [(SITE, 4)]


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_sender_refuses_a_timeout_that_is_not_positive(store: Store, value: float) -> None:
    with pytest.raises(ValueError):
        sender(store, StandInBus(), confirm_timeout_s=value)


def test_uplink_status_command_shows_waiting_unconfirmed_and_confirmed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the property office checks during an outage: how much waits for the broker, how
    much the broker took and the platform has not confirmed, how much is done."""
    db = tmp_path / "c.db"
    store = Store(db, ManualClock(t=time.time()), tmp_path / "keys")
    seqs = fill(store, 6)
    bus = StandInBus()
    s = sender(store, bus, max_unconfirmed=32)
    bus.puback = False
    s.pump()  # all six out, no PUBACK yet: still waiting
    for d in bus.deliveries[:3]:
        d.ok = True  # the broker took the first three
    s.pump()
    bus.ack(seqs[1])
    s.pump()
    store.close()
    assert main(["--db", str(db), "uplink", "status", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert (st["waiting"], st["unconfirmed"], st["confirmed"]) == (3, 1, 2), st
    assert st["last_confirmed_seq"] == seqs[1] and st["oldest_unconfirmed_seq"] == seqs[2]
    assert main(["--db", str(db), "uplink", "status"]) == 0
    text = capsys.readouterr().out
    assert "3 records waiting" in text and "1 sent and not yet confirmed" in text
    assert "2 confirmed" in text
