"""Oversized inputs on every bus decoder and on the bus callbacks: each is refused with the
decoder's typed error (``MessageError``), or read within the field limits, and never raises
anything else or does anything (no method called, no reply sent, no request woken, nothing
logged). The named cases run as examples; hypothesis draws the same shapes at other sizes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings

from compound.protocol.messages import ApiReply, DoorCommand, MessageError
from tests.fuzz import targets
from tests.fuzz.oversized import BETWEEN_BOUNDS, OVERSIZED, REFUSED_BY_ALL, oversized_payloads
from tests.fuzz.strategies import EXAMPLES, FUZZ

NAMES = sorted(OVERSIZED)
# Sizes up to 16 MB: fewer drawn cases than the other fuzz tests, the named ones always run.
FEWER = settings(FUZZ, max_examples=max(20, EXAMPLES // 7))

_rig: targets.CallbackRig | None = None


@pytest.fixture(scope="module")
def rig() -> Iterator[targets.CallbackRig]:
    r = callback_rig()
    yield r


def callback_rig() -> targets.CallbackRig:
    global _rig
    if _rig is None:
        _rig = targets.CallbackRig()
    return _rig


@pytest.mark.parametrize("cls", targets.DECODERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", NAMES)
def test_each_decoder_refuses_or_bounds(name: str, cls: type) -> None:
    payload = OVERSIZED[name]()
    if name in REFUSED_BY_ALL or (name in BETWEEN_BOUNDS and cls is not ApiReply):
        with pytest.raises(MessageError):
            cls.decode(payload)
        return
    try:
        cls.decode(payload)
    except MessageError:
        pass


@pytest.mark.parametrize("field", ["reason", "id", "door", "mac"])
def test_a_door_command_refuses_every_long_field(field: str) -> None:
    with pytest.raises(MessageError):
        DoorCommand.decode(OVERSIZED[f"string-15000-in-{field}"]())


@pytest.mark.parametrize("name", NAMES)
def test_bus_callbacks_refuse_cleanly(name: str, rig: targets.CallbackRig) -> None:
    """On the paho bus's callback (reply topic and a subscribed topic), the reply handling,
    the API server, the core's door feed and the bridge's readers: nothing raised; for input
    that no decoder may accept, nothing done either."""
    before = dict(rig.effects)
    rig.feed(OVERSIZED[name]())
    if name in REFUSED_BY_ALL | BETWEEN_BOUNDS:
        for effect in ("method", "reply_published", "request_woken", "events_logged"):
            assert rig.effects[effect] == before.get(effect, 0), effect
    assert rig.effects["handler"] == before.get("handler", 0) + 1  # junk still reaches handlers


def test_the_rig_sees_effects() -> None:
    """A well-formed request and door event do have effects, so the zeros above mean something."""
    import json

    r = targets.CallbackRig()
    try:
        reply_to = targets.CallbackRig.TOPICS.reply("u", "status")
        ok = json.dumps({"params": {}, "reply_to": reply_to, "corr": "k"})
        event = json.dumps({"door_id": "d1", "type": "opened", "at": targets.NOW})
        r.feed(ok.encode())
        r.feed(event.encode())
        assert r.effects["method"] >= 1 and r.effects["reply_published"] >= 1
        assert r.effects["events_logged"] >= 1
    finally:
        r.close()


@FEWER
@given(oversized_payloads)
def test_oversized_on_decoders_and_door_commands(payload: bytes) -> None:
    targets.decode_all(payload)
    assert targets.DoorRig().feed("d1", payload) == 0


@FEWER
@given(oversized_payloads)
def test_oversized_on_bus_callbacks(payload: bytes) -> None:
    callback_rig().feed(payload)
