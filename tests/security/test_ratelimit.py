"""Brute force: PIN and face attempts are throttled per credential and per door, and the one
alarm for consecutive failures comes from the alert engine, not twice."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Callable, Iterator

import pytest

from compound.adapters.mqtt import Bus, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.ratelimit import AttemptLimiter, Policy
from compound.protocol.messages import AccessRequest, encode, new_id
from compound.services.core import Core
from compound.store.db import Store


def fail(lim: AttemptLimiter, door: str, kind: str, value: str, now: float) -> bool:
    """One attempt that fails if decided; True if it was refused unread."""
    if lim.check(door, kind, value, now) is not None:
        return True
    lim.record(door, kind, value, False, now)
    return False


def test_credential_locked_after_five_failures_then_backoff_doubles() -> None:
    """The same credential failing five times in a row is refused unread, for a lockout that
    doubles each time; a refused attempt does not extend it."""
    lim = AttemptLimiter(Policy(max_failures=5, lockout_s=30, max_lockout_s=900))
    refused = [fail(lim, "d1", "pin", "1234", t) for t in range(5)]
    assert refused == [False] * 5
    assert lim.check("d1", "pin", "1234", 5).scope == "credential"  # type: ignore[union-attr]
    assert lim.check("d2", "pin", "1234", 10) is not None  # per credential: at every door
    assert lim.check("d1", "pin", "1234", 4 + 29.9) is not None
    assert lim.check("d1", "pin", "1234", 4 + 30.1) is None
    for t in range(5):
        fail(lim, "d1", "pin", "1234", 100 + t)
    refusal = lim.check("d1", "pin", "1234", 105)
    assert refusal is not None and refusal.until == pytest.approx(104 + 60)


def test_grant_clears_the_credential_count() -> None:
    """A resident who mistypes four times and then gets in is not locked out next time."""
    lim = AttemptLimiter(Policy(max_failures=5))
    for t in range(4):
        fail(lim, "d1", "face", "17", t)
    lim.record("d1", "face", "17", True, 4)
    for t in range(4):
        assert not fail(lim, "d1", "face", "17", 5 + t)
    assert lim.check("d1", "face", "17", 10) is None


def test_pin_guessing_locks_the_door_for_pins_only() -> None:
    """A guesser tries a different PIN every time; the door refuses PINs after too many
    failures within the window, while cards and faces still work there and PINs work at
    other doors."""
    lim = AttemptLimiter(Policy(door_max_failures=20, door_window_s=60, lockout_s=30))
    for i in range(20):
        assert not fail(lim, "d1", "pin", f"{i:06d}", i * 0.5)
    r = lim.check("d1", "pin", "424242", 11)
    assert r is not None and r.scope == "door"
    assert lim.check("d1", "face", "17", 11) is None
    assert lim.check("d1", "card", "10001", 11) is None
    assert lim.check("d2", "pin", "424242", 11) is None
    # The guessing rate drops to 20 per doubling lockout: 1e6 PINs take years, not hours.
    assert lim.status(11)["locked_doors"] == ["d1:pin"]


def test_slow_failures_within_the_window_do_not_lock_the_door() -> None:
    """Twenty failures spread over more than the window are normal life at a busy door."""
    lim = AttemptLimiter(Policy(door_max_failures=20, door_window_s=60))
    for i in range(40):
        assert not fail(lim, "d1", "pin", f"{i:06d}", i * 4.0)


def test_tries_left_and_lockout_say_what_the_next_attempt_meets() -> None:
    """What the door panel is told: the fewer of the tries the credential and the door have
    left, and while locked, the lockout that ends last; asking counts nothing."""
    lim = AttemptLimiter(Policy(max_failures=5, lockout_s=30, door_max_failures=8))
    assert lim.tries_left("d1", "pin", "1234", 0) == 5
    assert lim.tries_left("d1", "card", "1234", 0) is None  # cards are not limited
    for t in range(3):
        fail(lim, "d1", "pin", "1234", t)
    assert lim.tries_left("d1", "pin", "1234", 3) == 2
    assert lim.tries_left("d1", "pin", "5678", 3) == 5  # another PIN: its own count
    for t in range(4):
        fail(lim, "d1", "pin", f"9{t}", 3 + t)
    # Seven failures at the door: one more locks it for every PIN.
    assert lim.tries_left("d1", "pin", "5678", 7) == 1
    assert lim.tries_left("d2", "pin", "1234", 7) == 2
    assert lim.lockout("d1", "pin", "1234", 7) is None
    fail(lim, "d1", "pin", "1234", 7)
    door = lim.lockout("d1", "pin", "5678", 8)
    assert door is not None and door.scope == "door" and door.until == pytest.approx(37)
    assert lim.tries_left("d1", "pin", "5678", 8) == 0
    fail(lim, "d2", "pin", "1234", 20)  # the credential's fifth failure, at another door
    both = lim.lockout("d1", "pin", "1234", 21)
    assert both is not None and both.scope == "credential" and both.until == pytest.approx(50)
    refused = lim.refused
    assert lim.lockout("d1", "pin", "1234", 21) is not None and lim.refused == refused
    assert lim.lockout("d1", "pin", "1234", 50.1) is None
    assert lim.tries_left("d1", "pin", "1234", 50.1) == 5


def test_cards_are_not_throttled() -> None:
    """Card readers are limited by physics; throttling them would lock residents out."""
    lim = AttemptLimiter(Policy())
    for t in range(50):
        assert not fail(lim, "d1", "card", "999", t * 0.1)


def test_state_stays_bounded() -> None:
    """A long attack with ever new values leaves no unbounded memory behind."""
    lim = AttemptLimiter(Policy(max_lockout_s=10))
    for i in range(2000):
        fail(lim, f"d{i % 3}", "pin", str(i), i * 10.0)
    lim.forget_idle(2000 * 10.0 + 1000)
    assert len(lim._creds) + len(lim._doors) < 10  # noqa: SLF001


# -- on the core, with a real broker ---------------------------------------------------------


@pytest.fixture
def core(
    live_store: Store, mosquitto: object, make_bus: Callable[..., Bus]
) -> Iterator[tuple[Core, Store]]:
    live_store.add_unit("3-2-1501")
    live_store.add_door("b3-e2", "B3 E2", ["3-2"])
    pid = live_store.add_person("张伟", "3-2-1501", "owner")
    live_store.set_pin(pid, "135790")
    bus = make_bus(mosquitto.port, "core", start=False)  # type: ignore[attr-defined]
    c = build_core(live_store, bus, live_store.clock, Config())
    c.start()
    bus.start()
    yield c, live_store
    c.stop()


@pytest.mark.integration
def test_core_refuses_after_five_wrong_pins_with_one_alarm(core: tuple[Core, Store]) -> None:
    """Five wrong tries of one PIN: the sixth is refused unread ("too many failed attempts"),
    even the right PIN is refused at that door only if the door itself is locked (it is not),
    and the log holds exactly one failed-attempts alarm, raised by the alert engine."""
    c, store = core
    reasons = []
    for _ in range(7):
        d = c.handle_access(AccessRequest(new_id(), "b3-e2", "pin", "000000", time.time()))
        reasons.append(str(d.reason))
    assert reasons[:5] == ["unknown credential"] * 5
    assert reasons[5:] == ["too many failed attempts"] * 2
    assert c.handle_access(AccessRequest(new_id(), "b3-e2", "pin", "135790", time.time())).granted
    denied = store.events(types=["access.denied"])
    assert [e.data["reason"] for e in denied][-2:] == ["too many failed attempts"] * 2
    assert "person_id" not in denied[-1].data and denied[-1].person_id is None
    alarms = [a for a in store.alarms(open_only=True)]
    kinds = [a.kind for a in alarms]
    # One alarm for the run of failures (GB 50396), not one per limiter and engine.
    assert kinds.count("failed_attempts") == 1, kinds
    assert len(alarms) == 1, kinds
    assert c.counters["access.rate_limited.credential"] == 2


@pytest.mark.integration
def test_results_on_the_bus_carry_tries_left_and_the_lockouts_seconds(
    core: tuple[Core, Store], mosquitto: object, make_bus: Callable[..., Bus]
) -> None:
    """What the door panel shows comes from the core: each wrong PIN's result says how many
    tries are left, the fifth says the PIN is locked and for how long, a PIN refused unread
    says how long is still left, and a grant carries neither."""
    c, _ = core
    door = make_bus(mosquitto.port, "door-b3")  # type: ignore[attr-defined]
    results: queue.Queue[Message] = queue.Queue()
    door.subscribe(c.topics.access_result("b3-e2"), results.put)

    def attempt(pin: str) -> dict[str, object]:
        req = AccessRequest(new_id(), "b3-e2", "pin", pin, time.time(), "test")
        door.publish(c.topics.access_request("b3-e2"), encode(req))
        while True:
            body = json.loads(results.get(timeout=10).payload)
            if body["request_id"] == req.id:
                return dict(body)

    for left in (4, 3, 2, 1):
        res = attempt("000000")
        assert (res["reason"], res["tries_left"]) == ("unknown credential", left)
        assert "locked_for_s" not in res
    res = attempt("000000")
    assert res["reason"] == "unknown credential"
    assert (res["locked_for_s"], res["tries_left"]) == (30, 0)
    res = attempt("000000")
    assert res["reason"] == "too many failed attempts" and res["tries_left"] == 0
    assert 0 < int(res["locked_for_s"]) <= 30  # type: ignore[call-overload]
    res = attempt("135790")
    assert res["granted"] is True
    assert "tries_left" not in res and "locked_for_s" not in res
