"""Brokers the box can start by itself: an embedded one for the demo, Mosquitto for tests.

In production Mosquitto runs as its own systemd service with the config under ``systemd/``; the
services only connect to it. ``compound demo`` and the integration tests start a Mosquitto process
of their own on a free port; the embedded amqtt broker stands in only where Mosquitto is missing.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"nothing listening on {host}:{port} after {timeout} s"
                ) from None
            time.sleep(0.05)


class EmbeddedBroker:
    """amqtt running on its own asyncio loop in a background thread (MQTT 3.1.1)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="broker", daemon=True)
        self._broker: object | None = None

    def start(self) -> None:
        from amqtt.broker import Broker

        # Quiet: amqtt logs every packet at INFO, and a bare port probe as an error.
        logging.getLogger("amqtt").setLevel(logging.CRITICAL)
        logging.getLogger("transitions").setLevel(logging.WARNING)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        self._thread.start()

        async def run() -> object:
            broker = Broker(config, loop=self._loop)
            await broker.start()
            return broker

        self._broker = asyncio.run_coroutine_threadsafe(run(), self._loop).result(15)
        wait_listening(self.port, host=self.host)

    def stop(self) -> None:
        if self._broker is not None:
            broker = self._broker
            try:
                asyncio.run_coroutine_threadsafe(broker.shutdown(), self._loop).result(10)  # type: ignore[attr-defined]
            except Exception:  # shutting down; nothing useful to do with a failure here
                log.debug("embedded broker shutdown failed", exc_info=True)
            self._broker = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def mosquitto_path() -> str | None:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    return exe if Path(exe).exists() else None


def mosquitto_installed() -> bool:
    return mosquitto_path() is not None


class Mosquitto:
    """A Mosquitto process on a free loopback port with a config written for it."""

    def __init__(
        self, port: int | None = None, extra_config: str = "", workdir: str | Path | None = None
    ) -> None:
        exe = mosquitto_path()
        if exe is None:
            raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
        self.exe = exe
        self.port = port or free_port()
        self._tmp = (
            tempfile.TemporaryDirectory(prefix="compound-mosq-") if workdir is None else None
        )
        self.dir = Path(workdir) if workdir else Path(self._tmp.name)  # type: ignore[union-attr]
        self.conf = self.dir / "mosquitto.conf"
        self.extra_config = extra_config
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.dir / "mosquitto.log"

    def write_config(self) -> None:
        text = self.extra_config
        if "listener" not in text:
            text = f"listener {self.port} 127.0.0.1\nallow_anonymous true\n" + text
        # TCP_NODELAY on the broker side too: without it replies wait for delayed ACKs.
        self.conf.write_text("set_tcp_nodelay true\npersistence false\n" + text)

    def start(self) -> Mosquitto:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [self.exe, "-c", str(self.conf)], stdout=self.log, stderr=subprocess.STDOUT
        )
        try:
            wait_listening(self.port)
        except RuntimeError:
            self.stop()
            raise RuntimeError(
                f"mosquitto did not start: {self.log_path.read_text(errors='replace')[-500:]}"
            ) from None
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if hasattr(self, "log"):
            self.log.close()

    def cleanup(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
