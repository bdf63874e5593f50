"""A clock stepped back while the bridge runs: the core's new commands are carried out at once
(the guard judges "issued before this bridge started" on the clock as it reads now), and what
was captured before the start is still refused. With the core on a real Mosquitto, restarted
after the step, and the bridge's real guard running throughout on the same injected clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compound.adapters import keys
from compound.adapters.mqtt import Bus
from compound.domain.clock import ManualClock
from compound.protocol.messages import encode
from compound.store.db import Store
from firmware_bridge.command_guard import CommandGuard, Refused
from tests.compound.test_command_seq import run_core
from tests.firmware_bridge.test_command_guard import cmd, key_for


def refusal(guard: CommandGuard, payload: bytes) -> str:
    with pytest.raises(Refused) as e:
        guard.check("d1", payload, False)
    return e.value.reason


@pytest.mark.integration
def test_a_running_bridge_takes_the_restarted_cores_commands_after_a_step_back(
    tmp_path: Path, mosquitto: object, make_bus: Callable[..., Bus]
) -> None:
    port = mosquitto.port  # type: ignore[attr-defined]
    db = tmp_path / "c.db"
    clock = ManualClock()
    store = Store(db, clock, tmp_path / "keys")
    key = keys.door_command_key(store.master_key, "b3-e2")
    store.close()
    bridge = CommandGuard(lambda door: key, {"b3-e2"}, clock)  # started before, never reset
    clock.advance(10.0)
    first = run_core(db, clock, port, make_bus, 20, "core1")
    for m in first:
        bridge.check("b3-e2", m.payload, m.retain)

    clock.t -= 3600.0  # an NTP step back of an hour (the monotonic clock does not move back)
    clock.advance(2.0)
    second = run_core(db, clock, port, make_bus, 5, "core2")  # the core restarts too
    for m in second:
        try:
            bridge.check("b3-e2", m.payload, m.retain)
        except Refused as e:
            pytest.fail(f"the running bridge refused a command after the step: {e.reason}")
    assert bridge.accepted == 25 and not bridge.refused
    # ...and what the first core sent, replayed now, is refused (from the future, or replayed).
    for m in first[-3:]:
        with pytest.raises(Refused):
            bridge.check("b3-e2", m.payload, m.retain)


def test_after_a_step_back_a_fresh_command_passes_at_once(clock: ManualClock) -> None:
    guard = CommandGuard(key_for, {"d1"}, clock)
    clock.advance(5.0)
    clock.t -= 3600.0
    clock.advance(0.5)
    # Before the fix this was "issued_before_start" for the next hour.
    assert guard.check("d1", encode(cmd(clock, seq=1)), False).seq == 1


def test_a_command_from_before_the_start_stays_refused_across_steps(clock: ManualClock) -> None:
    captured = encode(cmd(clock, seq=1))  # issued, then the bridge restarts
    clock.advance(1.0)
    guard = CommandGuard(key_for, {"d1"}, clock)
    clock.advance(0.5)
    assert refusal(guard, captured) == "issued_before_start"
    clock.t += 0.7  # a small step forward: still before the start on both readings
    assert refusal(guard, captured) == "issued_before_start"
    clock.t -= 3600.0  # a step back of an hour: it now reads as issued in the future
    assert refusal(guard, captured) == "from_future"
    clock.t += 3600.0 + 30.0  # and forward past it: expired
    assert refusal(guard, captured) == "expired"


def test_the_start_follows_the_wall_clock(clock: ManualClock) -> None:
    guard = CommandGuard(key_for, {"d1"}, clock)
    start = guard.started_at
    clock.advance(2.0)
    assert guard.start_now() == pytest.approx(start)
    clock.t -= 600.0
    assert guard.start_now() == pytest.approx(start - 600.0)


# -- the floor kept on disk: the residual after a restart and a step back ---------------------


def test_a_command_captured_before_a_restart_is_refused_after_a_step_back(
    clock: ManualClock, tmp_path: Path
) -> None:
    """The one case the time checks cannot tell: the bridge restarts, then the clock is stepped
    back by D, and a command captured about D before the restart is replayed. Its issue time
    looks fresh; its sequence number is at or below the floor the last process kept."""
    from firmware_bridge.command_floor import CommandFloor

    floor = CommandFloor(tmp_path / "state" / "command-seq-bridge.txt")
    first = CommandGuard(key_for, {"d1"}, clock, floor=floor.load(), on_accept=floor.record)
    clock.advance(1.0)
    captured = encode(cmd(clock, seq=5))
    assert first.check("d1", captured, False).seq == 5
    clock.advance(600.0)
    later = encode(cmd(clock, seq=6))
    assert first.check("d1", later, False).seq == 6
    # the bridge restarts, then the clock is stepped back 600 s: the capture reads as fresh
    floor = CommandFloor(tmp_path / "state" / "command-seq-bridge.txt")
    second = CommandGuard(key_for, {"d1"}, clock, floor=floor.load(), on_accept=floor.record)
    bare = CommandGuard(key_for, {"d1"}, clock)  # the same restart without the floor
    clock.advance(0.5)
    clock.t -= 600.5
    assert refusal(second, captured) == "out_of_order"
    # without the floor this is the hole: the time checks alone let it through
    assert bare.check("d1", captured, False).seq == 5
    # and the core's next command, numbered above the floor, is carried out at once
    assert second.check("d1", encode(cmd(clock, seq=7)), False).seq == 7
    lines = (tmp_path / "state" / "command-seq-bridge.txt").read_text().split()
    assert lines[-2:] == ["d1", "7"]
