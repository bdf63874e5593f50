"""A bridge that dies without locking (SIGKILL) leaves no door released: its lock keeper
locks them, on the simulated board's own coils; while the fire input is active it leaves the
egress doors released. `compound bridge` as a real process, on a real Mosquitto and ptys."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from firmware_bridge.lock_keeper import Keeper, Output, plan
from tests.firmware_bridge.conftest import FIRE, Rig, bridge_config, wait_for
from tests.firmware_bridge.test_fail_safe import bridge_process, write_config

pytestmark = pytest.mark.integration


def keeper_of(bridge_pid: int) -> int | None:
    """The pid of the bridge's lock keeper (its child running firmware_bridge.lock_keeper)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == bridge_pid and b"firmware_bridge.lock_keeper" in cmd:
            return int(entry.name)
    return None


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers: its parent (the killed bridge) is gone, init reaps it
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) == "Z"
    except OSError:
        return True


@contextmanager
def running_bridge(rig: Rig, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`compound bridge` in place of the rig's, once it is online and drove d1 locked (the rig's
    own bridge publishes "locked" as it stops, but never "online" again)."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    seen = len(rig.messages("door/d1/state"))
    online = len(rig.messages("device/bridge/availability"))
    with bridge_process(write_config(rig, tmp_path, rig.broker.port)) as proc:
        # "online" comes from the new process only, once it is subscribed
        wait_for(
            lambda: any(
                m.payload == b"online" for m in rig.messages("device/bridge/availability")[online:]
            ),
            timeout=60,
            what="the bridge process online",
        )
        wait_for(
            lambda: any(b'"locked"' in m.payload for m in rig.messages("door/d1/state")[seen:]),
            timeout=60,
            what="the bridge process drives d1 locked",
        )
        yield proc


def test_a_killed_bridge_leaves_no_door_released(rig: Rig, tmp_path: Path) -> None:
    with running_bridge(rig, tmp_path) as proc:
        keeper = wait_for(lambda: keeper_of(proc.pid), timeout=60, what="the lock keeper running")
        rig.core.send_command("d1", "unlock", "plumber", 60.0)
        rig.core.send_command("d2", "unlock", "plumber", 60.0)
        wait_for(
            lambda: rig.board.coils[0] is True, timeout=60, what="strike d1 powered (released)"
        )
        wait_for(
            lambda: rig.board.coils[1] is False, timeout=60, what="maglock d2 unpowered (released)"
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(15)
        # Nothing else is running that could lock them: no bridge, and the rig's was stopped.
        wait_for(
            lambda: rig.board.coils[0] is False, timeout=60, what="strike d1 locked by the keeper"
        )
        wait_for(
            lambda: rig.board.coils[1] is True, timeout=60, what="maglock d2 locked by the keeper"
        )
        wait_for(lambda: gone(keeper), timeout=60, what="the keeper exits")


def test_with_the_fire_input_active_egress_doors_stay_released(rig: Rig, tmp_path: Path) -> None:
    with running_bridge(rig, tmp_path) as proc:
        keeper = wait_for(lambda: keeper_of(proc.pid), timeout=60, what="the lock keeper running")
        rig.board.set_input(FIRE, True)
        wait_for(
            lambda: rig.board.coils[0] is True and rig.board.coils[1] is False,
            timeout=60,
            what="fire releases both egress doors",
        )
        history = len(rig.board.history)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(15)
        wait_for(lambda: gone(keeper), timeout=60, what="the keeper read the fire input and exited")
        assert rig.board.coils[0] is True and rig.board.coils[1] is False
        assert rig.board.history[history:] == []


def test_a_clean_stop_tells_the_keeper_to_go(rig: Rig, tmp_path: Path) -> None:
    """SIGTERM: the bridge locks, says done, and its keeper exits without a frame of its own."""
    with running_bridge(rig, tmp_path) as proc:
        keeper = wait_for(lambda: keeper_of(proc.pid), timeout=60, what="the lock keeper running")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        wait_for(lambda: gone(keeper), timeout=60, what="the keeper exits")
    assert "lock keeper" not in (tmp_path / "bridge.log").read_text(errors="replace")


def test_the_plan_names_each_doors_locked_level(rig: Rig) -> None:
    lines = plan(bridge_config(rig.board, rig.mcu))
    assert lines[0].kind == "board" and lines[0].fire_input == FIRE
    assert lines[0].outputs == [Output(0, False, True, "d1"), Output(1, True, True, "d2")]
    assert Keeper(bridge_config(rig.board, rig.mcu)).spec.startswith("[")


def test_a_keeper_that_died_is_started_again(rig: Rig) -> None:
    keeper = Keeper(bridge_config(rig.board, rig.mcu))
    keeper.start()
    try:
        assert keeper.proc is not None
        keeper.proc.kill()
        keeper.proc.wait(10)
        keeper._started -= 10.0  # as if it had run for a while
        assert keeper.ensure() is False and keeper.alive() and keeper.starts == 2
        assert keeper.ensure() is True
    finally:
        keeper.done()
