"""Doors fail safe when the bridge stops or starts: on a real Mosquitto, real pty byte streams,
and assertions on what the simulated board and MCU themselves hold."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from compound.adapters import keys
from compound.adapters.broker import free_port
from compound.config import BridgeConfig, DoorWiring, McuWiring
from compound.domain.clock import Clock, SystemClock
from devkit.simulators import CoilChange, VirtualIntercomMCU
from firmware_bridge.bridge import Bridge
from tests.firmware_bridge.conftest import EXIT, FIRE, Rig, bridge_config, wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def new_bridge(rig: Rig, cfg: BridgeConfig | None = None, clock: Clock | None = None) -> Bridge:
    """A bridge in place of the rig's (stopped) one, as after a service restart."""
    cfg = cfg or bridge_config(rig.board, rig.mcu, held_open_s=2.0, open_time_s=3.0)
    master = rig.store.master_key
    clock = clock or rig.core.clock
    return Bridge(cfg, rig.bus("bridge"), clock, lambda d: keys.door_command_key(master, d))


def states(rig: Rig, door: str) -> list[str]:
    return [json.loads(m.payload)["state"] for m in rig.messages(f"door/{door}/state")]


def reported_locked(rig: Rig, door: str, since: int | None = None) -> bool:
    """The door's last published state (or any since message ``since``) is locked."""
    seen = states(rig, door)
    if since is None:
        return bool(seen) and seen[-1] == "locked"
    return "locked" in seen[since:]


def locked_by_stop(rig: Rig, door: str) -> bool:
    return any(
        json.loads(m.payload)["type"] == "locked"
        and json.loads(m.payload)["data"].get("reason") == "bridge stopping"
        for m in rig.messages(f"door/{door}/event")
    )


def test_stop_locks_every_door_it_released(rig: Rig) -> None:
    """Both doors unlocked through the core with a long open time; the bridge stops while the
    relays hold them released: the board ends with both locked (strike unpowered, maglock
    powered), the locked state is published, and an unlock sent after stop is refused."""
    rig.core.send_command("d1", "unlock", "plumber", 60.0)
    rig.core.send_command("d2", "unlock", "plumber", 60.0)
    wait_for(lambda: rig.board.coils[0] is True, what="strike d1 energised (released)")
    wait_for(lambda: rig.board.coils[1] is False, what="maglock d2 unpowered (released)")
    rig.bridge.stop()
    wait_for(lambda: rig.board.coils[0] is False, what="strike d1 locked on the board")
    wait_for(lambda: rig.board.coils[1] is True, what="maglock d2 locked on the board")
    for door in ("d1", "d2"):
        wait_for(partial(locked_by_stop, rig, door), what=f"{door} locked event")
        wait_for(partial(reported_locked, rig, door), what=f"{door} locked state")
    rig.core.send_command("d1", "unlock", "after the stop", 60.0)
    wait_for(lambda: rig.bridge.counters["command.refused_stopping"] >= 1, what="refused")
    assert rig.board.coils[0] is False and rig.board.coils[1] is True


def test_stop_leaves_fire_released_egress_doors_released(rig: Rig) -> None:
    """The fire input is the one exception: egress doors it released stay released."""
    rig.board.set_input(FIRE, True)
    wait_for(lambda: rig.board.coils[0] is True and rig.board.coils[1] is False, what="fire")
    history = len(rig.board.history)
    rig.bridge.stop()  # returns after the board thread ended: the coils are final
    assert rig.board.coils[0] is True and rig.board.coils[1] is False
    assert rig.board.history[history:] == []
    assert not locked_by_stop(rig, "d1") and not locked_by_stop(rig, "d2")


def test_stop_locks_a_door_on_an_entrance_mcu(rig: Rig) -> None:
    """A door on the MCU's own relay is locked through RELAY/RELAY_ACK frames on stop: the MCU
    line stays read until the MCU confirmed."""
    rig.store.add_door("d3", "Entrance three", ["3-2"])
    rig.bridge.stop()
    rig.bridge_bus.stop()
    mcu3 = VirtualIntercomMCU(name="sim-mcu3", heartbeat_s=0.3)
    mcu3.start()
    cfg = bridge_config(rig.board, rig.mcu, held_open_s=2.0, open_time_s=3.0)
    cfg = replace(
        cfg,
        doors=[*cfg.doors, DoorWiring("d3", "m3", 0, 0, -1, -1, open_time_s=3.0)],
        mcus=[*cfg.mcus, McuWiring("m3", mcu3.port, 115200, "d3")],
    )
    bridge = new_bridge(rig, cfg)
    bridge.start()
    try:
        wait_for(lambda: bridge.status()["doors"]["d3"]["state"] == "locked", what="d3 online")
        rig.core.send_command("d3", "unlock", "delivery", 60.0)
        wait_for(lambda: mcu3.relays.get(0) is True, what="MCU relay on (released)")
        bridge.stop()
        wait_for(lambda: mcu3.relays.get(0) is False, what="MCU relay off (locked)")
        wait_for(lambda: locked_by_stop(rig, "d3"), what="d3 locked event")
        assert bridge.counters["coil_write_failures"] == 0
    finally:
        bridge.stop()
        mcu3.stop()


def test_start_drives_every_door_locked_before_anything_else(rig: Rig) -> None:
    """A bridge that was killed left the strike powered and the maglock unpowered (both open),
    and someone leans on the exit button: the new bridge drives both locked on first contact,
    before it acts on anything, and releases nothing."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    rig.board.coils[0] = True  # as a killed bridge may leave them: released
    rig.board.coils[1] = False
    rig.board.set_input(EXIT, True)
    seen = len(rig.messages("door/d1/state"))
    history = len(rig.board.history)
    bridge = new_bridge(rig)
    bridge.start()
    try:
        wait_for(lambda: rig.board.coils[0] is False, what="strike unpowered (locked)")
        wait_for(lambda: rig.board.coils[1] is True, what="maglock powered (locked)")
        # The locking writes are the first coil changes the new bridge makes.
        first = {(c.channel, c.on) for c in rig.board.history[history : history + 2]}
        assert first == {(0, False), (1, True)}
        for door in ("d1", "d2"):
            wait_for(partial(reported_locked, rig, door, seen), what=f"{door} locked")
        wait_for(lambda: bridge.counters["event.online"] >= 2, what="both doors online")
        # A held exit button is no press; releasing and pressing it again is.
        wait_for(lambda: len(bridge.boards["b1"].last) > EXIT, what="inputs polled")
        polls = rig.board.requests
        # Coil writes go out before the next poll: two more requests, and any write is done.
        wait_for(lambda: rig.board.requests >= polls + 2, what="two more polls")
        assert not any(c.on for c in rig.board.history[history:] if c.channel == 0)
        assert "unlocked" not in states(rig, "d1")[seen:]
        rig.board.set_input(EXIT, False)
        wait_for(lambda: bridge.boards["b1"].last[EXIT] is False, what="button let go")
        rig.board.set_input(EXIT, True)
        wait_for(lambda: rig.board.coils[0] is True, what="a real press opens")
    finally:
        bridge.stop()


def test_a_failed_device_loop_still_locks_on_stop(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board thread that dies of an unexpected error is reported (``failed``), and stop()
    still writes the locks that thread would have written."""
    rig.core.send_command("d1", "unlock", "plumber", 60.0)
    wait_for(lambda: rig.board.coils[0] is True, what="strike energised")

    def broken(*args: object) -> None:
        raise RuntimeError("a bug in the input handling")

    monkeypatch.setattr(rig.bridge, "_board_inputs", broken)
    wait_for(rig.bridge.failed.is_set, what="failure reported")
    board = rig.bridge.boards["b1"]
    assert board.thread is not None
    wait_for(lambda: not board.thread.is_alive(), what="board thread gone")  # type: ignore[union-attr]
    rig.bridge.stop()
    wait_for(lambda: rig.board.coils[0] is False, what="strike locked anyway")


class SteppedClock(SystemClock):
    """The system clock, with a wall time the test can step; monotonic time stays real."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


def coil_changes(rig: Rig, since: int, on: bool) -> list[CoilChange]:
    return [c for c in rig.board.history[since:] if c.channel == 0 and c.on is on]


def test_wall_clock_steps_do_not_change_how_long_a_door_stays_released(rig: Rig) -> None:
    """A 2 s release through the core; the bridge's wall clock is stepped back, then (on a
    second release) forward an hour while the strike is powered: the board's own coil history
    shows the strike powered for the 2 s each time."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    clock = SteppedClock()
    bridge = new_bridge(rig, clock=clock)
    bridge.start()
    try:
        wait_for(lambda: bridge.status()["doors"]["d1"]["state"] == "locked", what="online")
        for step in (-3600.0, 3600.0):
            clock.offset = 0.0  # the command is checked against the wall clock
            since = len(rig.board.history)
            rig.core.send_command("d1", "unlock", "clock step", 2.0)
            on = wait_for(partial(coil_changes, rig, since, True), what="strike powered")
            clock.offset = step
            off = wait_for(partial(coil_changes, rig, since, False), timeout=15, what="relocked")
            # Never shorter than the pulse, and nowhere near the hour the step would add (a
            # loaded machine may relock a few seconds late; the bench measures timing).
            assert 1.8 <= off[0].at - on[0].at <= 20.0, (step, off[0].at - on[0].at)
    finally:
        bridge.stop()


def write_config(rig: Rig, path: Path, broker_port: int) -> Path:
    toml = f"""
[site]
id = "{rig.topics.site}"
[broker]
port = {broker_port}
[store]
path = "{path / "unused.db"}"
key_dir = "{rig.store.key_dir}"
[bridge]
poll_interval_s = 0.02
[[bridge.boards]]
name = "b1"
port = "{rig.board.port}"
baud = 115200
unit = 1
inputs = 8
fire_input = {FIRE}
[[bridge.doors]]
id = "d1"
board = "b1"
relay = 0
contact = 0
exit = 1
tamper = 2
open_time_s = 60.0
[[bridge.doors]]
id = "d2"
board = "b1"
relay = 1
contact = 3
exit = 4
lock = "maglock"
[[bridge.mcus]]
name = "m1"
port = "{rig.mcu.port}"
door = "d1"
"""
    cfg = path / "bridge.toml"
    cfg.write_text(toml)
    return cfg


@contextmanager
def bridge_process(cfg: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`compound bridge` in its own process, as systemd runs it; its output is printed (and
    shown by pytest) if the test fails."""
    log = cfg.parent / "bridge.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "bridge"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        print(log.read_text(errors="replace")[-3000:])


def test_sigterm_on_compound_bridge_locks_released_doors(rig: Rig, tmp_path: Path) -> None:
    """The service's own path: a card at the entrance MCU opens d1 through the core, then
    SIGTERM while the strike is powered: the process exits 0 and the board holds d1 locked."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    seen = len(rig.messages("door/d1/state"))
    with bridge_process(write_config(rig, tmp_path, rig.broker.port)) as proc:
        wait_for(
            lambda: any(b'"locked"' in m.payload for m in rig.messages("door/d1/state")[seen:]),
            timeout=20,
            what="the bridge process reports d1 locked",
        )
        rig.mcu.card(10001)
        wait_for(lambda: rig.board.coils[0] is True, what="strike energised by the grant")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        wait_for(lambda: rig.board.coils[0] is False, what="strike locked on the board")
        assert rig.board.coils[1] is True
        wait_for(lambda: locked_by_stop(rig, "d1"), what="locked event from the process")


def test_sigterm_while_the_broker_is_unreachable_still_locks(rig: Rig, tmp_path: Path) -> None:
    """The bridge waits for a broker that is not there; its doors work meanwhile (the exit
    button releases d1), and SIGTERM in that state still locks d1 before the process exits."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    with bridge_process(write_config(rig, tmp_path, free_port())) as proc:
        polls = rig.board.requests
        wait_for(lambda: rig.board.requests > polls + 5, timeout=20, what="the board polled")
        rig.board.set_input(EXIT, True)
        wait_for(lambda: rig.board.coils[0] is True, what="exit button releases d1")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        wait_for(lambda: rig.board.coils[0] is False, what="strike locked on the board")
