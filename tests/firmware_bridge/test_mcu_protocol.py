"""The MCU frame codec: exact bytes, resynchronisation, and property tests on every parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge import mcu_protocol as p

frames = st.builds(
    p.Frame, st.sampled_from(sorted(p.TYPES)), st.binary(min_size=0, max_size=p.MAX_LEN)
)


def test_known_bytes() -> None:
    """A fixed frame and the CRC-16/CCITT-FALSE check value pin the wire format down."""
    assert p.crc16(b"123456789") == 0x29B1
    raw = p.encode(p.Frame(p.RELAY, b"\x01\x01"))
    assert raw[:5] == bytes([0xA5, 2, 0x10, 1, 1])
    assert int.from_bytes(raw[5:], "big") == p.crc16(raw[1:5])


@given(st.lists(frames, max_size=8))
def test_round_trip(fs: list[p.Frame]) -> None:
    """Whatever the bridge or the MCU sends comes out as the same frames, in order."""
    r = p.FrameReader()
    assert r.feed(b"".join(p.encode(f) for f in fs)) == fs
    assert not r.buf


@given(st.lists(frames, min_size=1, max_size=5), st.data())
def test_any_split_gives_same_frames(fs: list[p.Frame], data: st.DataObject) -> None:
    """A serial read can return any number of bytes; framing must not depend on it."""
    stream = b"".join(p.encode(f) for f in fs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    r, out, last = p.FrameReader(), [], 0
    for c in [*cuts, len(stream)]:
        out += r.feed(stream[last:c])
        last = c
    assert out == fs


@given(st.binary(max_size=300), frames)
def test_resync_after_garbage(garbage: bytes, frame: p.Frame) -> None:
    """After any garbage, a following good frame (after a quiet gap) is still read."""
    r = p.FrameReader()
    got = r.feed(garbage)
    r.idle()
    got += r.feed(p.encode(frame))
    assert got[-1] == frame
    assert all(f.type in p.TYPES for f in got)


@given(frames, st.integers(min_value=0), st.integers(1, 255))
def test_corrupted_byte_never_yields_that_frame_silently(
    frame: p.Frame, pos: int, flip: int
) -> None:
    """One corrupted byte is caught by the CRC (or makes a different, counted outcome)."""
    raw = bytearray(p.encode(frame))
    raw[pos % len(raw)] ^= flip
    trailer = p.Frame(p.HEARTBEAT, b"\x00\x01")
    r = p.FrameReader()
    got = r.feed(bytes(raw) + p.encode(trailer))
    r.idle()
    assert got.count(frame) <= (1 if frame == trailer else 0)
    assert sum(r.counters.values()) >= 1  # the damage was counted somewhere


def test_counts_crc_garbage_and_partial() -> None:
    """Each fault has its own counter, so an installer can tell noise from a bad cable."""
    good = p.encode(p.Frame(p.CALL, b"1501"))
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    r = p.FrameReader()
    got = r.feed(b"\x00\x13" + bytes(bad) + good + good[:4])
    r.idle()
    assert got == [p.Frame(p.CALL, b"1501")]
    assert r.counters["garbage_bytes"] >= 2
    assert r.counters["crc_errors"] == 1
    assert r.counters["partial_frames"] == 1


@given(st.integers(0, (1 << 24) - 1))
def test_wiegand26_round_trip(card: int) -> None:
    """Every 24-bit card number survives encoding with parity and decoding."""
    assert p.parse_card(p.card_frame(card, 26).payload) == card


@given(st.integers(0, (1 << 32) - 1))
def test_wiegand34_round_trip(card: int) -> None:
    assert p.parse_card(p.card_frame(card, 34).payload) == card


@given(st.integers(0, (1 << 24) - 1), st.integers(0, 25))
def test_wiegand_single_bit_error_detected(card: int, bit: int) -> None:
    """A bit lost on the Wiegand wires fails parity rather than reading another card."""
    bits = p.wiegand_encode(card, 26) ^ (1 << bit)
    with pytest.raises(p.WiegandError):
        p.wiegand_decode(bits, 26)


@given(st.binary(max_size=12))
def test_card_parser_total(payload: bytes) -> None:
    """Any payload either decodes or raises WiegandError; nothing else escapes."""
    try:
        p.parse_card(payload)
    except p.WiegandError:
        pass


@given(st.binary(max_size=20))
def test_digit_parser_total(payload: bytes) -> None:
    try:
        text = p.parse_digits(payload)
    except ValueError:
        return
    assert text.isdigit() and text.isascii()
