"""The command guard: only a fresh, signed, in-order command for a known door passes."""

from __future__ import annotations

import pytest

from compound.adapters import keys
from compound.domain.clock import ManualClock
from compound.protocol.messages import DoorCommand, encode
from firmware_bridge.command_guard import CommandGuard, Refused

MASTER = b"m" * 32


def key_for(door: str) -> bytes:
    return keys.door_command_key(MASTER, door)


def cmd(clock: ManualClock, seq: int = 1, door: str = "d1", **kw: object) -> DoorCommand:
    base = DoorCommand(
        id=f"c{seq}",
        door_id=door,
        action="unlock",
        issued_at=clock.now(),
        expires_at=clock.now() + 3,
        reason="card",
        seq=seq,
    )
    fields = {**base.body(), **kw}
    return DoorCommand(**fields).signed(key_for(door))  # type: ignore[arg-type]


@pytest.fixture
def guard(clock: ManualClock) -> CommandGuard:
    return CommandGuard(key_for, {"d1", "d2"}, clock)


def refusal(guard: CommandGuard, topic_door: str, payload: bytes, retained: bool = False) -> str:
    with pytest.raises(Refused) as e:
        guard.check(topic_door, payload, retained)
    return e.value.reason


def test_good_command_passes_once(guard: CommandGuard, clock: ManualClock) -> None:
    """The same command delivered twice (QoS 1 duplicate, replay) acts once."""
    payload = encode(cmd(clock))
    assert guard.check("d1", payload, False).id == "c1"
    assert refusal(guard, "d1", payload) == "replayed"
    assert guard.refused["replayed"] == 1 and guard.accepted == 1


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed"),
        (b'{"id": 5}', "malformed"),
        (b"x" * 20000, "oversized"),
        (b"[]", "malformed"),
    ],
)
def test_garbage_refused(guard: CommandGuard, payload: bytes, reason: str) -> None:
    """Bytes that are not a command are refused with a counted reason."""
    assert refusal(guard, "d1", payload) == reason
    assert guard.refused[reason] == 1


def test_each_forgery_refused(guard: CommandGuard, clock: ManualClock) -> None:
    """Wrong key, wrong topic, unknown door, retained, expired, future, out of order."""
    good = cmd(clock, seq=10)
    other_key = DoorCommand(**good.body()).signed(key_for("d2"))  # type: ignore[arg-type]
    assert refusal(guard, "d1", encode(other_key)) == "bad_mac"
    unsigned = DoorCommand(**good.body())  # type: ignore[arg-type]
    assert refusal(guard, "d1", encode(unsigned)) == "bad_mac"
    tampered = DoorCommand(**{**good.body(), "duration_s": 600.0, "mac": good.mac})  # type: ignore[arg-type]
    assert refusal(guard, "d1", encode(tampered)) == "bad_mac"
    assert refusal(guard, "d2", encode(good)) == "wrong_topic"
    assert refusal(guard, "d9", encode(cmd(clock, door="d9"))) == "unknown_door"
    assert refusal(guard, "d1", encode(good), retained=True) == "retained"
    assert (
        refusal(
            guard,
            "d1",
            encode(cmd(clock, seq=11, issued_at=clock.now() + 60, expires_at=clock.now() + 63)),
        )
        == "from_future"
    )
    guard.check("d1", encode(good), False)
    assert refusal(guard, "d1", encode(cmd(clock, seq=9))) == "out_of_order"
    stale = cmd(clock, seq=12)
    clock.advance(3.5)
    assert refusal(guard, "d1", encode(stale)) == "expired"
    assert guard.accepted == 1


def test_command_issued_before_the_guard_started_is_refused(clock: ManualClock) -> None:
    """A new guard (a restarted bridge) knows no ids or sequence numbers; it still refuses a
    command signed before it started, though the command has not expired yet."""
    captured = encode(cmd(clock, seq=7))
    clock.advance(1.0)  # the restart
    guard = CommandGuard(key_for, {"d1", "d2"}, clock)
    assert refusal(guard, "d1", captured) == "issued_before_start"
    fresh = cmd(clock, seq=8)
    assert guard.check("d1", encode(fresh), False).id == fresh.id
