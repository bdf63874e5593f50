"""The bridge's watchdog means health: systemd hears READY=1 once every door is driven locked,
and WATCHDOG=1 only while the serial lines answer and the bus network thread runs.

A real datagram socket stands in for systemd's notify socket; the relay board and the MCU are
the byte-level pty simulators of the rig."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.systemd import Notifier
from firmware_bridge.cli import bridge_health, supervise
from tests.firmware_bridge.conftest import Rig, wait_for
from tests.firmware_bridge.test_fail_safe import bridge_process, write_config

pytestmark = pytest.mark.integration


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.05)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "150000")  # a ping every 50 ms
    yield sock
    sock.close()


def drain(sock: socket.socket) -> list[str]:
    got = []
    while True:
        try:
            got.append(sock.recv(100).decode())
        except TimeoutError:
            return got


def test_fed_only_while_the_serial_lines_answer(rig: Rig, notify_socket: socket.socket) -> None:
    started, stop = threading.Event(), threading.Event()
    started.set()  # the rig's bus is started
    said: list[str] = []
    t = threading.Thread(
        target=supervise, args=(rig.bridge, rig.bridge_bus, started, stop, said.append, Notifier())
    )
    t.start()
    try:
        got: list[str] = []
        wait_for(lambda: got.extend(drain(notify_socket)) or got.count("WATCHDOG=1") >= 3)
        assert got[0] == "READY=1"
        # The MCU, which drives no door here, may be heard only after the doors are locked.
        wait_for(lambda: bridge_health(rig.bridge, rig.bridge_bus, started) is None)
        wait_for(lambda: "WATCHDOG=1" in drain(notify_socket), what="fed")
        said.clear()

        rig.board.answering = False  # the relay board stops answering on its line
        wait_for(lambda: any("unhealthy" in s for s in said), what="the board reported silent")
        problem = bridge_health(rig.bridge, rig.bridge_bus, started)
        assert problem is not None and "b1" in problem, said
        assert any("no answer on the serial line of b1" in s for s in said), said
        drain(notify_socket)
        assert drain(notify_socket) == []  # not fed while the board is silent (~2 pings due)

        rig.board.answering = True
        wait_for(lambda: "healthy again" in said, what="healthy again")
        wait_for(lambda: "WATCHDOG=1" in drain(notify_socket), what="fed again")
    finally:
        stop.set()
        t.join(5)


def test_a_silent_mcu_and_a_dead_bus_thread_starve_it(rig: Rig) -> None:
    started = threading.Event()
    started.set()
    rig.mcu.powered = False  # no more heartbeats: the door it drives goes offline
    wait_for(
        lambda: "m1" in (bridge_health(rig.bridge, rig.bridge_bus, started) or ""),
        what="the MCU reported silent",
    )
    rig.mcu.powered = True
    wait_for(lambda: bridge_health(rig.bridge, rig.bridge_bus, started) is None, what="healthy")
    rig.bridge_bus.stop()  # the network thread ends
    assert bridge_health(rig.bridge, rig.bridge_bus, started) == (
        "the bus network thread is not running"
    )


def test_no_ready_while_a_door_cannot_be_driven_locked(
    rig: Rig, notify_socket: socket.socket
) -> None:
    rig.board.answering = False
    wait_for(lambda: not rig.bridge.status()["boards"]["b1"], what="board down")
    stop = threading.Event()
    t = threading.Thread(
        target=supervise,
        args=(rig.bridge, rig.bridge_bus, threading.Event(), stop, lambda s: None, Notifier()),
    )
    t.start()
    try:
        assert drain(notify_socket) + drain(notify_socket) == []
        rig.board.answering = True
        wait_for(lambda: "READY=1" in drain(notify_socket), what="ready once the board answers")
    finally:
        stop.set()
        t.join(5)


def test_compound_bridge_tells_systemd(
    rig: Rig, tmp_path: Path, notify_socket: socket.socket
) -> None:
    """The service itself: READY=1, then WATCHDOG=1 pings, then STOPPING=1 on SIGTERM."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    with bridge_process(write_config(rig, tmp_path, rig.broker.port)) as proc:
        got: list[str] = []
        wait_for(
            lambda: got.extend(drain(notify_socket)) or got.count("WATCHDOG=1") >= 2,
            timeout=20,
            what="READY=1 and pings from the process",
        )
        assert got[0] == "READY=1"
        proc.terminate()
        assert proc.wait(15) == 0
        assert "STOPPING=1" in drain(notify_socket)
