"""The one module that imports pyserial: opening, reading and reopening a serial line.

A device can be unplugged or powered off at any moment. ``SerialLine`` turns every pyserial
error into ``LineDown`` and reopens the port with an increasing delay (0.2 s doubling to 5 s),
so the bridge's loops never see a pyserial exception and never spin on a missing device.
"""

from __future__ import annotations

import logging
import time

import serial

log = logging.getLogger(__name__)


class LineDown(OSError):
    """The serial device is not there or stopped working."""


class SerialLine:
    def __init__(self, url: str, baud: int, read_timeout: float = 0.05) -> None:
        self.url = url
        self.baud = baud
        self.read_timeout = read_timeout
        self._port: serial.Serial | None = None
        self.backoff = 0.2
        self._next_try = 0.0
        self.opens = 0

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def ensure_open(self) -> bool:
        """Open the port if it is closed and the backoff allows; True when open."""
        if self._port is not None:
            return True
        now = time.monotonic()
        if now < self._next_try:
            return False
        try:
            port = serial.serial_for_url(
                self.url, baudrate=self.baud, timeout=self.read_timeout, exclusive=True
            )
        except (serial.SerialException, OSError, ValueError) as e:
            self._next_try = now + self.backoff
            self.backoff = min(self.backoff * 2, 5.0)
            log.debug("cannot open %s: %s", self.url, e)
            return False
        self._port = port
        self.backoff = 0.2
        self.opens += 1
        return True

    def read(self, max_bytes: int = 256) -> bytes:
        port = self._require()
        try:
            first = port.read(1)
            if not first:
                return b""
            return first + port.read(min(port.in_waiting, max_bytes))
        except (serial.SerialException, OSError) as e:
            self.close()
            raise LineDown(f"{self.url}: {e}") from None

    def write(self, data: bytes) -> None:
        port = self._require()
        try:
            port.write(data)
        except (serial.SerialException, OSError) as e:
            self.close()
            raise LineDown(f"{self.url}: {e}") from None

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except (serial.SerialException, OSError):
                pass
            self._port = None
            self._next_try = time.monotonic() + self.backoff

    def _require(self) -> serial.Serial:
        if self._port is None:
            raise LineDown(f"{self.url} is not open")
        return self._port
