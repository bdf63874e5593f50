"""systemd integration: readiness and watchdog notifications, without a dependency.

The units under ``systemd/`` use ``Type=notify`` and ``WatchdogSec``; a service that stops
sending ``WATCHDOG=1`` (a hung loop) is restarted by systemd. Outside systemd this does nothing.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable


class Notifier:
    def __init__(self) -> None:
        self.address = os.environ.get("NOTIFY_SOCKET")
        usec = os.environ.get("WATCHDOG_USEC")
        # Ping at a third of the watchdog period; 5 s when there is no watchdog.
        self.interval = int(usec) / 3_000_000 if usec and usec.isdigit() else 5.0

    def _send(self, text: str) -> None:
        if not self.address:
            return
        addr = self.address
        if addr.startswith("@"):
            addr = "\0" + addr[1:]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            try:
                s.connect(addr)
                s.sendall(text.encode())
            except OSError:
                pass  # systemd gone: nothing to tell

    def ready(self) -> None:
        self._send("READY=1")

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def status(self, text: str) -> None:
        """The line ``systemctl status`` shows for the service."""
        self._send(f"STATUS={text.replace(chr(10), ' ')}")

    def watch(
        self,
        health: Callable[[], str | None],
        stop: threading.Event,
        say: Callable[[str], None],
        status: Callable[[], str] | None = None,
    ) -> None:
        """Until ``stop``: tell systemd the service is alive only while ``health()`` finds
        nothing wrong, and say once what went wrong (and when it is right again); with
        ``status``, also its line for ``systemctl status`` whenever that changes."""
        problem: str | None = None
        shown = ""
        while not stop.wait(self.interval):
            now = health()
            if status is not None and (line := status()) != shown:
                self.status(line)
                shown = line
            if now is None:
                self.watchdog()
            if now != problem:
                say(f"unhealthy: {now}; the watchdog is not fed" if now else "healthy again")
                problem = now
