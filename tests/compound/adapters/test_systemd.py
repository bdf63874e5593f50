"""The watchdog means health: systemd hears WATCHDOG=1 only while the service can do its job.

A real datagram socket stands in for systemd's notify socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.systemd import Notifier


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "3000")  # a ping every millisecond
    yield sock
    sock.close()


def test_the_watchdog_is_fed_only_while_healthy(notify_socket: socket.socket) -> None:
    answers = [None, None, "the database cannot be read", "the database cannot be read", None]
    stop = threading.Event()
    said: list[str] = []

    def health() -> str | None:
        if not answers:
            stop.set()
            return None
        return answers.pop(0)

    n = Notifier()
    n.ready()
    n.watch(health, stop, said.append)
    notify_socket.settimeout(1)
    got = []
    while True:
        try:
            got.append(notify_socket.recv(100).decode())
        except TimeoutError:
            break
    # Fed for the three healthy answers and the last call (which stopped the loop), not for the
    # two unhealthy ones.
    assert got == ["READY=1"] + ["WATCHDOG=1"] * 4
    assert said == [
        "unhealthy: the database cannot be read; the watchdog is not fed",
        "healthy again",
    ]
