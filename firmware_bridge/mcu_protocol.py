"""The framed serial protocol between the bridge and an entrance's intercom/reader MCU.

Pure bytes in, frames out; no I/O. One frame on the wire::

    0xA5 | LEN | TYPE | PAYLOAD (LEN bytes, 0..64) | CRC16 (big-endian)

The CRC is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over LEN, TYPE and PAYLOAD. The
reader resynchronises on the next 0xA5 after garbage, a bad CRC, an impossible length or a
frame cut short; each of those is counted. ``docs/serial-protocol.md`` has the same table.

| type | name      | direction    | payload                                              |
|------|-----------|--------------|------------------------------------------------------|
| 0x01 | CARD      | MCU → bridge | bit count (26 or 34), then the raw Wiegand bits as a  |
|      |           |              | 5-byte big-endian integer                            |
| 0x02 | KEYPAD    | MCU → bridge | ASCII digits entered before '#' (a PIN)              |
| 0x03 | CALL      | MCU → bridge | ASCII room dialled, e.g. "1501"                      |
| 0x04 | EMERGENCY | MCU → bridge | empty: the emergency button                          |
| 0x05 | CONTACT   | MCU → bridge | 1 byte: 1 open, 0 closed                             |
| 0x06 | ZONE      | MCU → bridge | 2 bytes: zone input 0..15, state 0 normal, 1 alarm,  |
|      |           |              | 2 fault (loop cut or shorted); on every change       |
|      |           |              | (debounced by the MCU) and once after power-up       |
| 0x10 | RELAY     | bridge → MCU | 2 bytes: channel, 1 on / 0 off                       |
| 0x11 | RELAY_ACK | MCU → bridge | 2 bytes: channel, state now                          |
| 0x20 | HEARTBEAT | both         | 2-byte big-endian counter                            |
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

SOF = 0xA5
MAX_LEN = 64
HEADER = 3  # SOF, LEN, TYPE
TRAILER = 2  # CRC16

CARD, KEYPAD, CALL, EMERGENCY, CONTACT, ZONE = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
RELAY, RELAY_ACK, HEARTBEAT = 0x10, 0x11, 0x20
TYPES = {
    CARD: "card",
    KEYPAD: "keypad",
    CALL: "call",
    EMERGENCY: "emergency",
    CONTACT: "contact",
    ZONE: "zone",
    RELAY: "relay",
    RELAY_ACK: "relay_ack",
    HEARTBEAT: "heartbeat",
}


def _table() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC_TABLE = _table()


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc


@dataclass(frozen=True)
class Frame:
    type: int
    payload: bytes = b""

    @property
    def name(self) -> str:
        return TYPES.get(self.type, f"0x{self.type:02x}")


def encode(frame: Frame) -> bytes:
    if len(frame.payload) > MAX_LEN:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds {MAX_LEN}")
    if not 0 <= frame.type <= 0xFF:
        raise ValueError("frame type must fit in one byte")
    body = bytes([len(frame.payload), frame.type]) + frame.payload
    return bytes([SOF]) + body + crc16(body).to_bytes(2, "big")


class FrameReader:
    """Feeds on a byte stream; returns whole, valid frames; counts and drops the rest."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.counters: Counter[str] = Counter()

    def feed(self, data: bytes) -> list[Frame]:
        self.buf.extend(data)
        frames: list[Frame] = []
        while True:
            start = self.buf.find(SOF)
            if start < 0:
                self._drop(len(self.buf), "garbage_bytes")
                return frames
            if start:
                self._drop(start, "garbage_bytes")
            if len(self.buf) < 2:
                return frames
            length = self.buf[1]
            if length > MAX_LEN:
                self._drop(1, "bad_length")
                continue
            total = HEADER + length + TRAILER
            if len(self.buf) < total:
                return frames  # wait for the rest
            body = bytes(self.buf[1 : HEADER + length])
            crc = int.from_bytes(self.buf[HEADER + length : total], "big")
            if crc != crc16(body):
                # Drop only the start byte: the real frame may begin inside this one.
                self._drop(1, "crc_errors")
                continue
            del self.buf[:total]
            frame = Frame(body[1], body[2:])
            if frame.type not in TYPES:
                self.counters["unknown_type"] += 1
                continue
            self.counters["frames"] += 1
            frames.append(frame)

    def idle(self) -> None:
        """The line went quiet: whatever is buffered is a frame cut short."""
        if self.buf:
            self.counters["partial_frames"] += 1
            self.buf.clear()

    def _drop(self, n: int, why: str) -> None:
        if n:
            self.counters[why] += n if why == "garbage_bytes" else 1
            del self.buf[:n]


# -- payload helpers --------------------------------------------------------------------------


class WiegandError(ValueError):
    """Bits that are not a valid Wiegand 26 or 34 read (wrong length or parity)."""


def _parity_ok(bits: int, n: int) -> bool:
    half = (n - 2) // 2
    data = (bits >> 1) & ((1 << (n - 2)) - 1)
    first = data >> half  # leading half of the data bits, covered by the even parity bit
    second = data & ((1 << half) - 1)
    even_bit = (bits >> (n - 1)) & 1
    odd_bit = bits & 1
    return (bin(first).count("1") + even_bit) % 2 == 0 and (
        bin(second).count("1") + odd_bit
    ) % 2 == 1


def wiegand_encode(card: int, n: int) -> int:
    """Raw bits for a card number (24 data bits for W26, 32 for W34), with both parities."""
    if n not in (26, 34):
        raise WiegandError("Wiegand length must be 26 or 34")
    if not 0 <= card < (1 << (n - 2)):
        raise WiegandError(f"card number does not fit in Wiegand {n}")
    half = (n - 2) // 2
    first, second = card >> half, card & ((1 << half) - 1)
    even_bit = bin(first).count("1") % 2
    odd_bit = 1 - bin(second).count("1") % 2
    return (even_bit << (n - 1)) | (card << 1) | odd_bit


def wiegand_decode(bits: int, n: int) -> int:
    """The card number (all data bits: facility code and number) or ``WiegandError``."""
    if n not in (26, 34):
        raise WiegandError(f"Wiegand length {n} is not 26 or 34")
    if bits >> n:
        raise WiegandError("more bits than the frame length")
    if not _parity_ok(bits, n):
        raise WiegandError("parity error")
    return (bits >> 1) & ((1 << (n - 2)) - 1)


def card_frame(card: int, n: int = 26) -> Frame:
    return Frame(CARD, bytes([n]) + wiegand_encode(card, n).to_bytes(5, "big"))


def parse_card(payload: bytes) -> int:
    if len(payload) != 6:
        raise WiegandError("card payload must be 6 bytes")
    return wiegand_decode(int.from_bytes(payload[1:], "big"), payload[0])


MCU_ZONES = 16  # zone inputs an entrance MCU may report
ZONE_STATES = ("normal", "alarm", "fault")


def parse_zone(payload: bytes) -> tuple[int, str]:
    """(zone input, state) of a ZONE frame, or ``ValueError``."""
    if len(payload) != 2 or payload[0] >= MCU_ZONES or payload[1] >= len(ZONE_STATES):
        raise ValueError(f"zone needs 2 bytes: input 0-{MCU_ZONES - 1}, state 0-2")
    return payload[0], ZONE_STATES[payload[1]]


def parse_digits(payload: bytes, max_len: int = 16) -> str:
    """ASCII digits, or ``ValueError``: a keypad or dialled room never has anything else."""
    text = payload.decode("ascii", errors="replace")
    if not text or len(text) > max_len or not text.isdigit() or not text.isascii():
        raise ValueError("expected 1-16 ASCII digits")
    return text
