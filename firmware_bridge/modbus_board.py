"""A Modbus RTU relay/input board on RS-485, through pymodbus (the one module importing it).

Coils drive the relays; discrete inputs read door contacts, exit buttons, tamper switches and
the fire-alarm input. pymodbus opens the port through pyserial itself. Every pymodbus failure
(no answer, CRC error, port gone) becomes ``BoardDown``; the bridge then reports the board's
doors offline and calls ``reopen`` with backoff.
"""

from __future__ import annotations

import logging
import threading
import time

from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ModbusException

log = logging.getLogger(__name__)
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # it logs every timeout as an error


class BoardDown(OSError):
    """The board did not answer, answered with an error, or its port is gone."""


class RelayBoard:
    def __init__(
        self, name: str, port: str, baud: int, unit: int, inputs: int = 8, timeout: float = 0.25
    ) -> None:
        self.name = name
        self.port = port
        self.baud = baud
        self.unit = unit
        self.inputs = inputs
        self.timeout = timeout
        self._client: ModbusSerialClient | None = None
        # One request at a time on an RS-485 line: polling and commands share it.
        self.lock = threading.Lock()
        self.backoff = 0.2
        self._next_try = 0.0

    def _connect(self) -> ModbusSerialClient:
        if self._client is not None:
            return self._client
        now = time.monotonic()
        if now < self._next_try:
            raise BoardDown(f"board {self.name}: waiting {self._next_try - now:.1f} s to reopen")
        client = ModbusSerialClient(
            self.port, baudrate=self.baud, timeout=self.timeout, retries=0, reconnect_delay=0
        )
        if not client.connect():
            self._next_try = now + self.backoff
            self.backoff = min(self.backoff * 2, 5.0)
            raise BoardDown(f"board {self.name}: cannot open {self.port}")
        self._client = client
        return client

    def _fail(self, why: str) -> BoardDown:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._next_try = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, 5.0)
        return BoardDown(f"board {self.name}: {why}")

    def read_inputs(self) -> list[bool]:
        with self.lock:
            client = self._connect()
            try:
                rr = client.read_discrete_inputs(0, count=self.inputs, device_id=self.unit)
            except (ModbusException, OSError) as e:
                raise self._fail(str(e)) from None
            if rr.isError():
                raise self._fail(f"error reply {rr}")
            self.backoff = 0.2
            return list(rr.bits[: self.inputs])

    def write_coil(self, channel: int, on: bool) -> None:
        with self.lock:
            client = self._connect()
            try:
                rr = client.write_coil(channel, on, device_id=self.unit)
            except (ModbusException, OSError) as e:
                raise self._fail(str(e)) from None
            if rr.isError():
                raise self._fail(f"error reply {rr}")

    def close(self) -> None:
        with self.lock:
            if self._client is not None:
                self._client.close()
                self._client = None
