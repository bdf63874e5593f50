"""Bus payload codecs: strict, and an unlock command cannot be altered without the key."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compound.protocol.messages import (
    MAX_PAYLOAD,
    AccessRequest,
    ApiReply,
    DoorCommand,
    DoorEvent,
    MessageError,
    encode,
)

KEY = b"k" * 32


def command(**kw: object) -> DoorCommand:
    base: dict[str, object] = {
        "id": "c1",
        "door_id": "b3-e2",
        "action": "unlock",
        "issued_at": 100.0,
        "expires_at": 103.0,
        "reason": "card",
        "seq": 5,
    }
    base.update(kw)
    return DoorCommand(**base)  # type: ignore[arg-type]


def test_signed_command_round_trips_and_verifies() -> None:
    cmd = command().signed(KEY)
    back = DoorCommand.decode(encode(cmd))
    assert back == cmd and back.mac_ok(KEY)


@pytest.mark.parametrize(
    "change", [{"door_id": "b1-e1"}, {"expires_at": 999.0}, {"action": "lock"}, {"seq": 6}]
)
def test_any_change_breaks_the_mac(change: dict[str, object]) -> None:
    body = json.loads(encode(command().signed(KEY)))
    body.update(change)
    assert not DoorCommand.decode(json.dumps(body)).mac_ok(KEY)


def test_wrong_key_and_missing_mac_fail() -> None:
    assert not command().signed(b"x" * 32).mac_ok(KEY)
    assert not command().mac_ok(KEY)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"[1,2]",
        b'{"id": "c1"}',
        json.dumps({**json.loads(encode(command())), "action": "open_all"}).encode(),
        json.dumps({**json.loads(encode(command())), "expires_at": 50}).encode(),
        json.dumps({**json.loads(encode(command())), "issued_at": True}).encode(),
        json.dumps({**json.loads(encode(command())), "door_id": "a/#"}).encode(),
        b'{"pad": "' + b"x" * MAX_PAYLOAD + b'"}',
    ],
)
def test_malformed_commands_are_refused(payload: bytes) -> None:
    with pytest.raises(MessageError):
        DoorCommand.decode(payload)


def test_access_request_kinds_are_checked() -> None:
    good = {"id": "r1", "door_id": "gate", "kind": "card", "value": "123", "at": 1.0}
    assert AccessRequest.decode(json.dumps(good)).value == "123"
    with pytest.raises(MessageError, match="kind"):
        AccessRequest.decode(json.dumps({**good, "kind": "iris"}))
    with pytest.raises(MessageError, match="empty"):
        AccessRequest.decode(json.dumps({**good, "value": ""}))


def test_door_event_types_are_checked() -> None:
    with pytest.raises(MessageError, match="unknown door event"):
        DoorEvent.decode(json.dumps({"door_id": "g", "type": "explode", "at": 1}))


@given(st.binary(max_size=400))
def test_decoders_only_raise_message_error(data: bytes) -> None:
    """Whatever arrives from the network, the decoders answer with MessageError or a value."""
    for decoder in (DoorCommand.decode, AccessRequest.decode, DoorEvent.decode, ApiReply.decode):
        try:
            decoder(data)
        except MessageError:
            pass


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=64),
    st.floats(min_value=0, max_value=4e9, allow_nan=False),
    st.floats(min_value=0.1, max_value=60),
    st.integers(min_value=0, max_value=2**62),
)
def test_command_round_trip(door: str, issued: float, ttl: float, seq: int) -> None:
    cmd = command(door_id=door, issued_at=issued, expires_at=issued + ttl, seq=seq).signed(KEY)
    back = DoorCommand.decode(encode(cmd))
    assert back == cmd and back.mac_ok(KEY)


def test_whole_number_fields_keep_their_mac() -> None:
    """A signer that writes 60 rather than 60.0 must still produce a command that verifies."""
    cmd = command(issued_at=100, expires_at=103, duration_s=60).signed(KEY)
    assert DoorCommand.decode(encode(cmd)).mac_ok(KEY)
