"""Door command sequence numbers keep increasing when the clock is stepped back and the core
restarted, so the bridge does not refuse every command as out of order until wall time catches
up; and the database is written once per 10,000 commands, not per command."""

from __future__ import annotations

import queue
from collections.abc import Callable
from pathlib import Path

import pytest

from compound.adapters import keys
from compound.adapters.mqtt import Bus, Message
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import ManualClock
from compound.protocol.messages import DoorCommand
from compound.services.command_seq import SETTING
from compound.store.db import Store
from firmware_bridge.command_guard import CommandGuard, Refused

pytestmark = pytest.mark.integration


def run_core(
    db: Path, clock: ManualClock, port: int, make_bus: Callable[..., Bus], n: int, name: str
) -> list[Message]:
    """Start a core on the database, send ``n`` unlock commands, stop it: the commands as the
    door's side of the bus received them."""
    store = Store(db, clock, db.parent / "keys")
    if store.door("b3-e2") is None:
        store.add_unit("3-2-1501")
        store.add_door("b3-e2", "Building 3 entrance 2", ["3-2"])
    bus = make_bus(port, name, start=False)
    core = build_core(store, bus, clock, Config())
    core.start()
    bus.start(timeout=10)
    door = make_bus(port, f"door-{name}")
    got: queue.Queue[Message] = queue.Queue()
    door.subscribe(door.topics.door_cmd("b3-e2"), got.put)
    try:
        for _ in range(n):
            core.send_command("b3-e2", "unlock", "test", 3.0)
            clock.t += 0.001
        return [got.get(timeout=5) for _ in range(n)]
    finally:
        core.stop()
        store.close()


def seqs(msgs: list[Message]) -> list[int]:
    return [DoorCommand.decode(m.payload).seq for m in msgs]


def test_sequence_survives_a_clock_step_back_and_a_restart(
    tmp_path: Path, mosquitto: object, make_bus: Callable[..., Bus]
) -> None:
    port = mosquitto.port  # type: ignore[attr-defined]
    db = tmp_path / "c.db"
    clock = ManualClock()
    store = Store(db, clock, tmp_path / "keys")
    key = keys.door_command_key(store.master_key, "b3-e2")
    store.close()
    bridge = CommandGuard(lambda door: key, {"b3-e2"}, clock)  # it keeps running throughout

    first = run_core(db, clock, port, make_bus, 50, "core1")
    for m in first:
        bridge.check("b3-e2", m.payload, m.retain)

    clock.t -= 3600.0  # an NTP step back of an hour, then the core restarts
    # (the bridge's own "issued before I started" check is not what this test is about)
    bridge.started_at = clock.now()
    second = run_core(db, clock, port, make_bus, 5, "core2")
    assert min(seqs(second)) > max(seqs(first)), (max(seqs(first)), seqs(second))
    for m in second:
        try:
            bridge.check("b3-e2", m.payload, m.retain)
        except Refused as e:
            pytest.fail(f"the bridge refused a command after the restart: {e.reason}")
    assert bridge.accepted == 55 and not bridge.refused


def test_the_mark_is_written_once_per_10000_commands(
    tmp_path: Path, mosquitto: object, make_bus: Callable[..., Bus]
) -> None:
    port = mosquitto.port  # type: ignore[attr-defined]
    db = tmp_path / "c.db"
    clock = ManualClock()
    sent = seqs(run_core(db, clock, port, make_bus, 200, "core1"))
    store = Store(db, clock, tmp_path / "keys")
    try:
        mark = int(store.setting(SETTING) or 0)
    finally:
        store.close()
    # one mark, written with the first command, still ahead of the 200th
    assert mark == sent[0] + 10_000 and sent == list(range(sent[0], sent[0] + 200))
