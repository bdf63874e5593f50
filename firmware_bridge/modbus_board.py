"""A Modbus RTU relay/input board on RS-485, through pymodbus (the one module importing it).

Coils drive the relays; discrete inputs read door contacts, exit buttons, tamper switches and
the fire-alarm input. pymodbus opens the port through pyserial itself. Every pymodbus failure
(no answer, CRC error, port gone) becomes ``BoardDown``; the bridge then reports the board's
doors offline and calls ``reopen`` with backoff.

Receiving: pymodbus's synchronous serial client waits for a reply by sleeping in 1 ms steps
until the byte count stops growing, which puts a floor of about 2 ms under every request (most
of the door command path). ``_PromptClient`` instead blocks in the port's read, which wakes as
soon as the first reply byte arrives, and lets pymodbus's own RTU framer say whether the frame
is complete (it asks again for the rest when it is not). Framing, CRC and PDU decoding stay
pymodbus's.
"""

from __future__ import annotations

import logging
import threading
import time

from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ConnectionException, ModbusException

log = logging.getLogger(__name__)
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # it logs every timeout as an error


class BoardDown(OSError):
    """The board did not answer, answered with an error, or its port is gone."""


class _PromptClient(ModbusSerialClient):
    """pymodbus's RTU serial client, with a read that returns when the reply bytes arrive."""

    def recv(self, size: int | None) -> bytes:
        port = self.socket
        if size is not None or port is None:
            return bytes(super().recv(size))
        try:
            # Blocks until a byte arrives or the timeout; b"" means no answer.
            first = bytes(port.read(1))
            if not first:
                return b""
            return first + bytes(port.read(port.in_waiting))
        except OSError:  # pyserial's SerialException is an OSError: the port went away
            self.close()
            raise ConnectionException(str(self)) from None


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
        client = _PromptClient(
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
