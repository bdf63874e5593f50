"""Fuzz every bus payload decoder, the door command path down to the relay, the serial frame
reader and the config loader: only the documented errors escape, and nothing unsigned moves a
relay."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from compound.adapters import keys
from compound.protocol.messages import DoorCommand, encode
from tests.fuzz import targets
from tests.fuzz.strategies import FUZZ, json_values, payloads, shaped


@FUZZ
@given(payloads)
def test_bus_decoders(payload: bytes) -> None:
    """A malformed message is a ``MessageError`` with a reason, never a crash of the service."""
    targets.decode_all(payload)


@FUZZ
@given(st.sampled_from(targets.DOORS + ("d9", "+", "")), payloads, st.booleans())
def test_door_commands_never_actuate_unsigned(door: str, payload: bytes, retained: bool) -> None:
    """Arbitrary payloads on a door's command topic never move its relay."""
    rig = targets.DoorRig()
    assert rig.feed(door, payload, retained) == 0
    assert rig.relay_actions == 0


def _genuine(door: str = "d1", seq: int = 10) -> DoorCommand:
    now = targets.NOW
    return DoorCommand("c0ffee", door, "unlock", now, now + 3, "card access", seq, 5.0).signed(
        keys.door_command_key(targets.MASTER, door)
    )


@FUZZ
@given(
    st.sampled_from(("id", "door_id", "action", "issued_at", "expires_at", "reason", "seq",
                     "duration_s")),
    json_values,
    st.booleans(),
)  # fmt: skip
def test_tampered_signed_commands_never_actuate(field: str, value: object, same_mac: bool) -> None:
    """A genuine command opens once; the same command replayed, or with any one field changed
    (keeping its MAC or re-signing with another door's key), opens nothing more."""
    rig = targets.DoorRig()
    good = _genuine()
    assert rig.feed("d1", encode(good), genuine=True) == 1
    body = good.body()
    body[field] = value
    tampered = {**body, "mac": good.mac if same_mac else None}
    if not same_mac:
        try:
            cmd = DoorCommand(**tampered)  # type: ignore[arg-type]
            tampered["mac"] = cmd.signed(keys.door_command_key(targets.MASTER, "d2")).mac
        except TypeError:
            pass
    from compound.protocol.messages import canonical

    try:
        payload = canonical({k: v for k, v in tampered.items() if v is not None})
    except ValueError:
        payload = repr(tampered).encode()
    rig.feed("d1", payload)
    rig.feed("d1", encode(good))  # the replay
    assert rig.relay_actions == 1


@FUZZ
@given(shaped)
def test_command_shaped_objects(obj: dict[str, object]) -> None:
    """Objects with the right field names and wrong values are refused like any other."""
    from compound.protocol.messages import canonical

    try:
        payload = canonical(obj)
    except ValueError:
        return
    targets.decode_all(payload)
    rig = targets.DoorRig()
    assert rig.feed("d1", payload) == 0


@FUZZ
@given(st.lists(st.binary(max_size=80), max_size=12))
def test_serial_frame_reader(chunks: list[bytes]) -> None:
    """Line noise, cut frames and bad CRCs are counted and dropped, never raised."""
    targets.frames(chunks)


@FUZZ
@given(st.lists(st.binary(min_size=1, max_size=6).map(lambda b: b"\xa5" + b), max_size=20))
def test_serial_frame_reader_with_start_bytes(chunks: list[bytes]) -> None:
    """Streams dense with start-of-frame bytes exercise the resynchronisation paths."""
    targets.frames(chunks)


TOML_KEYS = st.sampled_from(
    ("site", "broker", "store", "core", "security", "bridge", "alerts", "x", "port", "id")
)


@FUZZ
@given(
    st.text(max_size=300)
    | st.dictionaries(TOML_KEYS, st.dictionaries(TOML_KEYS, json_values, max_size=4), max_size=4)
    .map(lambda d: "\n".join(f"[{k}]\n" + "\n".join(f"{kk} = {vv!r}" for kk, vv in v.items())
                             for k, v in d.items()))
)  # fmt: skip
def test_config_loader(text: str) -> None:
    """A broken config file stops the program with one ``ConfigError`` line, never a trace."""
    targets.config_text(text)


def test_genuine_command_does_actuate() -> None:
    """The rig can see an actuation at all, so the zeros above mean something."""
    rig = targets.DoorRig()
    assert rig.feed("d1", encode(_genuine()), genuine=True) == 1
    other = replace(_genuine("d2"), id="beef01", seq=11)
    signed = other.signed(keys.door_command_key(targets.MASTER, "d2"))
    assert rig.feed("d2", encode(signed), genuine=True) == 1
