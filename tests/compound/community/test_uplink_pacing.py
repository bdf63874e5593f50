"""The box's sender under a slow platform, on a manual clock with a stand-in bus: a platform
that is slow but moving gets no resends, one that stops moving gets resends that wait longer
each time (bounded), and a burst of resend requests is answered once."""

from __future__ import annotations

import json
import random

from compound.adapters.mqtt import Message
from compound.domain.clock import ManualClock
from compound.domain.uplink_records import ack_message, ack_topic
from compound.domain.uplink_resend import resend_message, resend_topic
from compound.store.db import Store
from tests.compound.community.test_uplink_confirm import (
    SITE,
    StandInBus,
    confirmed,
    fill,
    sender,
)


def ask_resend(bus: StandInBus, n: int) -> None:
    topic = resend_topic("city", SITE)
    bus.handlers[topic](Message(topic, json.dumps(resend_message(SITE, n)).encode()))


def test_a_slow_platform_that_keeps_moving_gets_no_resends(
    store: Store, clock: ManualClock
) -> None:
    """The collapse measured before: a backlog longer than the confirm timeout made every box
    send everything again. The timeout now counts from the last progress."""
    seqs = fill(store, 40)
    bus = StandInBus()
    s = sender(store, bus, confirm_timeout_s=10.0, max_unconfirmed=40)
    for _ in range(5):
        s.pump()
    assert bus.seqs() == seqs
    for i in range(0, 40, 4):  # four records confirmed every 8 s: 80 s for the lot
        clock.advance(8.0)
        bus.ack(seqs[i])
        s.pump()
    bus.ack(seqs[-1])
    s.pump()
    assert bus.seqs() == seqs, "nothing sent twice"
    assert s.stats.timeouts == 0


def test_timeouts_without_progress_wait_longer_each_time_up_to_the_cap(
    store: Store, clock: ManualClock
) -> None:
    seqs = fill(store, 3)
    bus = StandInBus()
    s = sender(store, bus, confirm_timeout_s=10.0, backoff_cap_s=40.0, rng=random.Random(3))
    s.pump()
    start = clock.now()
    fired_at = []
    for _ in range(400):  # 200 s in half-second steps
        clock.advance(0.5)
        before = s.stats.timeouts
        s.pump()
        if s.stats.timeouts > before:
            fired_at.append(clock.now())
    gaps = [b - a for a, b in zip(fired_at, fired_at[1:], strict=False)]
    assert fired_at[0] - start == 10.0, "the first timeout is the configured one"
    assert gaps[0] >= 10.0 and all(g <= 40.5 for g in gaps), gaps
    assert gaps[-1] > gaps[0], "it backs off"
    assert len(fired_at) < 12, "far fewer than one resend every 10 s"
    # progress brings the short timeout back
    bus.ack(seqs[0])
    s.pump()
    n = s.stats.timeouts
    clock.advance(10.0)
    s.pump()
    assert s.stats.timeouts == n + 1


def test_a_burst_of_resend_requests_is_answered_once(store: Store, clock: ManualClock) -> None:
    seqs = fill(store, 8)
    bus = StandInBus()
    s = sender(store, bus)
    s.pump()
    for _ in range(6):  # six workers or six repeats asking for the same record
        ask_resend(bus, seqs[2])
        s.pump()
    assert bus.seqs() == seqs + seqs[2:], "sent again once"
    assert s.stats.resend_requests == 6 and s.stats.resend_requests_held >= 4
    clock.advance(s._gate.backoff.delay)
    s.pump()
    assert bus.seqs() == seqs + seqs[2:] + seqs[2:], "the held ones, answered once after the wait"
    bus.ack(seqs[-1])
    s.pump()
    clock.advance(60)
    s.pump()
    assert len(bus.sent) == len(seqs) + 2 * len(seqs[2:])


def test_a_timeout_probes_one_window_and_goes_on_when_the_platform_was_only_slow(
    store: Store, clock: ManualClock
) -> None:
    """Ten seconds without progress behind a long backlog: one window goes again, and when the
    acknowledgement then passes it the rest is not sent a second time."""
    seqs = fill(store, 100)
    bus = StandInBus()
    s = sender(store, bus)
    for _ in range(20):
        s.pump()
    assert bus.seqs() == seqs
    clock.advance(10.0)
    s.pump()
    s.pump()
    assert bus.seqs() == seqs + seqs[:8], "one window, not a hundred records"
    bus.ack(seqs[59])  # the first sending is getting through, late
    s.pump()
    bus.ack(seqs[-1])
    for _ in range(5):
        s.pump()
    assert bus.seqs() == seqs + seqs[:8]
    assert s.stats.resends_skipped > 0 and s.stats.timeouts == 1


def test_a_probe_that_stops_the_acknowledgement_at_its_end_sends_the_rest_again(
    store: Store, clock: ManualClock
) -> None:
    """The platform lost them (a worker died with them in memory): the probe fills the front,
    the acknowledgement stops at its end for a whole timeout, and everything after it goes
    again, in order."""
    seqs = fill(store, 30)
    bus = StandInBus()
    s = sender(store, bus)
    for _ in range(5):
        s.pump()
    clock.advance(10.0)
    s.pump()
    bus.ack(seqs[7])  # exactly the probe
    for _ in range(5):
        s.pump()
    assert bus.seqs() == seqs + seqs[:8], "not yet: the next window may be right behind"
    for _ in range(400):
        clock.advance(0.5)
        s.pump()
        if len(bus.sent) > len(seqs) + 8:
            break
    for _ in range(5):
        s.pump()
    assert bus.seqs() == seqs + seqs, "the rest sent again after the probe"
    assert s.stats.resends == len(seqs), "the probe and the rest after it, counted"
    assert s.stats.resends_after_probe == len(seqs) - 8


def test_an_acknowledgement_that_lands_on_the_probes_end_and_moves_on_sends_nothing_again(
    store: Store, clock: ManualClock
) -> None:
    """The first sending went out a window at a time, so the platform commits it a window at a
    time: after a timeout the acknowledgement often lands exactly on the probe's end, and the
    next window comes right behind. (Taking that for a loss sent everything after the probe
    again: 1.6 copies of each record through the three-node cluster with 100 boxes.)"""
    seqs = fill(store, 100)
    bus = StandInBus()
    s = sender(store, bus)
    for _ in range(20):
        s.pump()
    clock.advance(10.0)
    s.pump()
    s.pump()
    assert bus.seqs() == seqs + seqs[:8]
    bus.ack(seqs[7])  # the first window of the first sending, exactly the probe
    s.pump()
    clock.advance(1.0)
    bus.ack(seqs[15])  # the next window
    s.pump()
    bus.ack(seqs[-1])
    for _ in range(5):
        s.pump()
    assert bus.seqs() == seqs + seqs[:8], "only the probe went twice"
    assert s.stats.resends == 8 and s.stats.resends_after_probe == 0


def ack_naming(bus: StandInBus, upto: int, last_id: str) -> None:
    topic = ack_topic("city", SITE)
    payload = json.dumps(ack_message(SITE, upto, last_id)).encode()
    bus.handlers[topic](Message(topic, payload))


def test_an_acknowledgement_naming_another_boxs_record_is_not_taken(
    store: Store, clock: ManualClock
) -> None:
    """A box that replaced another under the same site id starts again at 1; the retained
    acknowledgement of its predecessor (upto 5000) names a record it does not have. Taking it
    would mark its own new records confirmed although the platform dropped them as old."""
    seqs = fill(store, 5)
    bus = StandInBus()
    s = sender(store, bus)
    s.pump()
    ack_naming(bus, 5000, f"{SITE}:5000")
    s.pump()
    assert confirmed(store) == [] and s.stats.acks_refused == 1
    rows = store.query("SELECT seq, event_seq, kind FROM outbox ORDER BY seq")
    ack_naming(bus, seqs[2], f"{SITE}:{rows[2]['event_seq']}")  # its own record: taken
    s.pump()
    assert confirmed(store) == seqs[:3]
    ack_naming(bus, seqs[4], f"{SITE}:999999")  # the right seq, another record
    s.pump()
    assert confirmed(store) == seqs[:3] and s.stats.acks_refused == 2


def test_timeouts_behind_a_long_backlog_never_send_the_first_sending_again(
    store: Store, clock: ManualClock
) -> None:
    """Behind a platform backlog longer than several timeouts, each timeout probes one window;
    the later probes must remember how far the first sending went. (They did not: the second
    probe took the first probe's end for it, and when the acknowledgement passed the probe every
    record after it went again, 2 to 3 copies of each record measured with 100 boxes.)"""
    seqs = fill(store, 100)
    bus = StandInBus()
    s = sender(store, bus, rng=random.Random(5))
    for _ in range(20):
        s.pump()
    assert bus.seqs() == seqs
    for _ in range(400):  # three timeouts, the acknowledgement never moving
        clock.advance(1.0)
        s.pump()
        if s.stats.timeouts == 3:
            break
    s.pump()
    assert s.stats.timeouts == 3
    assert bus.seqs() == seqs + 3 * seqs[:8], "one window a timeout"
    bus.ack(seqs[59])  # the first sending reaches the platform, late
    s.pump()
    bus.ack(seqs[-1])
    for _ in range(5):
        s.pump()
    assert bus.seqs() == seqs + 3 * seqs[:8], "nothing of the first sending again"
    assert s.stats.resends == 3 * 8
