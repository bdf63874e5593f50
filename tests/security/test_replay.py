"""Replay-proof unlocks: a command that is replayed, expired, forged (bad MAC, another door's
key, no MAC), out of order or retained is refused by the bridge's command guard and counted;
the key `compound devices add` issues to a door adapter verifies the core's signatures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compound.adapters import keys
from compound.app.devices import door_keys
from compound.domain.clock import ManualClock
from compound.protocol.acl import Device
from compound.protocol.messages import DoorCommand, encode
from compound.store.db import Store
from firmware_bridge.command_guard import CommandGuard, Refused

MASTER = b"m" * 32


def key(door: str) -> bytes:
    return keys.door_command_key(MASTER, door)


def cmd(clock: ManualClock, *, id_: str = "a1", seq: int = 1, door: str = "d1",
        ttl: float = 3.0) -> DoorCommand:  # fmt: skip
    now = clock.now()
    return DoorCommand(id_, door, "unlock", now, now + ttl, "card access", seq, 5.0).signed(
        key(door)
    )


@pytest.fixture
def guard(clock: ManualClock) -> CommandGuard:
    return CommandGuard(key, {"d1", "d2"}, clock)


def refused(guard: CommandGuard, payload: bytes, door: str = "d1", retained: bool = False) -> str:
    with pytest.raises(Refused) as e:
        guard.check(door, payload, retained)
    return e.value.reason


def test_replayed_command_refused(guard: CommandGuard, clock: ManualClock) -> None:
    """The same command heard twice (a recorded packet sent again) opens the door once."""
    c = encode(cmd(clock))
    guard.check("d1", c, False)
    assert refused(guard, c) == "replayed"
    assert guard.refused["replayed"] == 1 and guard.accepted == 1


def test_expired_command_refused(guard: CommandGuard, clock: ManualClock) -> None:
    """A command held back and sent after its expiry opens nothing."""
    c = encode(cmd(clock))
    clock.advance(3.5)
    assert refused(guard, c) == "expired"
    assert guard.refused["expired"] == 1


@pytest.mark.parametrize(
    "forge",
    [
        lambda c: replace(c, mac="0" * 64),  # made-up MAC
        lambda c: replace(c, mac=None),  # unsigned
        lambda c: replace(c, duration_s=600.0),  # body changed after signing
        lambda c: replace(c, door_id="d2"),  # moved to another door, same MAC
        lambda c: DoorCommand(**c.body()).signed(key("d2")),  # signed with another door's key
        lambda c: DoorCommand(**c.body()).signed(b"k" * 32),  # signed with a guessed key
    ],
    ids=["bad-mac", "no-mac", "altered", "other-door", "other-door-key", "wrong-key"],
)
def test_forged_command_refused(guard: CommandGuard, clock: ManualClock, forge: object) -> None:
    """Without the door's key nobody can make a command the door accepts."""
    forged = forge(cmd(clock))  # type: ignore[operator]
    door = forged.door_id
    assert refused(guard, encode(forged), door) in ("bad_mac",)
    assert sum(guard.refused.values()) == 1 and guard.accepted == 0


def test_out_of_order_command_refused(guard: CommandGuard, clock: ManualClock) -> None:
    """A genuine but older command (lower seq) delivered after a newer one is refused: a delayed
    unlock must not undo a lock that came after it."""
    newer, older = cmd(clock, id_="n", seq=20), cmd(clock, id_="o", seq=19)
    guard.check("d1", encode(newer), False)
    assert refused(guard, encode(older)) == "out_of_order"
    assert guard.refused["out_of_order"] == 1


def test_retained_command_refused(guard: CommandGuard, clock: ManualClock) -> None:
    """A retained command would be delivered again at every reconnect; it never acts."""
    assert refused(guard, encode(cmd(clock)), retained=True) == "retained"


def test_command_on_another_doors_topic_refused(guard: CommandGuard, clock: ManualClock) -> None:
    """A genuine command for d1 republished on d2's topic does not open d2."""
    assert refused(guard, encode(cmd(clock)), door="d2") == "wrong_topic"


def test_issued_door_key_verifies_core_signature(store: Store, clock: ManualClock) -> None:
    """The per-door key handed to a bridge by `compound devices add` is the key the core signs
    with, and a bridge for d1 holds no key that could sign for d2."""
    issued = door_keys(store, Device("bridge1", "bridge", doors=("d1",)))
    assert set(issued) == {"d1"}
    now = clock.now()
    c = DoorCommand("x", "d1", "unlock", now, now + 3, "r", 1).signed(
        keys.door_command_key(store.master_key, "d1")
    )
    assert c.mac_ok(issued["d1"])
    c2 = DoorCommand("y", "d2", "unlock", now, now + 3, "r", 2).signed(issued["d1"])
    assert not c2.mac_ok(keys.door_command_key(store.master_key, "d2"))
