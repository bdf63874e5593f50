"""Payloads that cross the bus: JSON codecs with strict checks.

Every decoder takes raw bytes from the network and either returns a frozen value or raises
``MessageError`` with a reason that is logged and counted. Nothing that fails here may reach a
relay. Unlock commands carry an id, an expiry, the reason and an HMAC over their canonical form.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

from compound.protocol.topics import valid_segment

MAX_PAYLOAD = 16 * 1024  # no legitimate message is larger; a bigger one is refused unread
MAX_REPLY = 16 * 1024 * 1024  # an answer from the core (lists, exports) may be this large
MAX_DEPTH = 32  # arrays and objects inside each other; no message needs more
COMMAND_TTL_S = 3.0  # an unlock command older than this is stale


class MessageError(ValueError):
    """A payload that is not a valid message; the reason is safe to log."""


def canonical(obj: object) -> bytes:
    """One byte form per value: sorted keys, no spaces, UTF-8. Used for hashes and MACs."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_id() -> str:
    return uuid.uuid4().hex


class SeenIds:
    """Ids seen recently, so that a replayed message is recognised; bounded in size."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, id_: str) -> bool:
        """Record ``id_``; False if it was already there."""
        if id_ in self._ids:
            return False
        self._ids[id_] = None
        if len(self._ids) > self.limit:
            self._ids.popitem(last=False)
        return True


def decode_object(payload: bytes | bytearray | str, limit: int = MAX_PAYLOAD) -> dict[str, Any]:
    """A JSON object, read only when its size and nesting are within bounds."""
    if isinstance(payload, str):
        payload = payload.encode()
    if len(payload) > limit:
        raise MessageError(f"payload of {len(payload)} bytes exceeds {limit}")
    if not _depth_within(bytes(payload), MAX_DEPTH):
        raise MessageError(f"payload nested deeper than {MAX_DEPTH}")
    try:
        # NaN and Infinity are not JSON, but Python reads them; int() refuses them (ValueError).
        obj = json.loads(payload, parse_constant=int)
    # ValueError covers bad UTF-8, bad JSON and integers too long to convert.
    except (ValueError, RecursionError) as e:
        raise MessageError(f"not JSON: {e.__class__.__name__}") from None
    if not isinstance(obj, dict):
        raise MessageError("payload is not a JSON object")
    return obj


_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def _depth_within(payload: bytes, limit: int) -> bool:
    """True when no array or object in ``payload`` sits deeper than ``limit``, checked before
    parsing: the parser recurses once per level, and a deep enough payload exhausts the stack."""
    if payload.count(b"[") + payload.count(b"{") <= limit:
        return True
    # Drop escaped backslashes and quotes, then everything inside strings: what is left between
    # the quotes holds the structure. Each step is one pass in C, whatever the payload.
    plain = payload.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = b"".join(plain.split(b'"')[::2]).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in structure:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return False
    return True


def get_str(obj: dict[str, Any], key: str, *, max_len: int = 256, optional: bool = False) -> Any:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise MessageError(f"field {key!r} must be a string")
    if len(value) > max_len:
        raise MessageError(f"field {key!r} longer than {max_len}")
    return value


def get_num(obj: dict[str, Any], key: str, *, optional: bool = False) -> Any:
    value = obj.get(key)
    if value is None and optional:
        return None
    # bool is an int in Python; a JSON true is not a number here. An integer past a float's
    # range (310 to 4,300 digits: json reads it) makes isfinite raise OverflowError.
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        raise MessageError(f"field {key!r} must be a finite number")
    # Kept as sent (int or float): converting would change the canonical bytes a MAC covers.
    return value


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def get_int(obj: dict[str, Any], key: str, *, optional: bool = False) -> Any:
    value = obj.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f"field {key!r} must be an integer")
    return value


def get_segment(obj: dict[str, Any], key: str) -> str:
    value = get_str(obj, key, max_len=64)
    if not valid_segment(value):
        raise MessageError(f"field {key!r} is not a valid id")
    return str(value)


def encode(value: object) -> bytes:
    if hasattr(value, "__dataclass_fields__"):
        value = {k: v for k, v in asdict(value).items() if v is not None}  # type: ignore[call-overload]
    return canonical(value)


# -- door commands ---------------------------------------------------------------------------

DOOR_ACTIONS = ("unlock", "lock")


@dataclass(frozen=True)
class DoorCommand:
    id: str
    door_id: str
    action: str
    issued_at: float
    expires_at: float
    reason: str
    seq: int = 0  # per-issuer counter; a command older than the last one seen is out of order
    duration_s: float | None = None
    # True only on a remote open an operator forced through a lockdown; absent otherwise, so a
    # command without it is signed and checked exactly as before the field existed.
    override: bool | None = None
    mac: str | None = None

    def body(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if v is not None}
        d.pop("mac", None)
        return d

    def signed(self, key: bytes) -> DoorCommand:
        mac = hmac.new(key, canonical(self.body()), hashlib.sha256).hexdigest()
        return DoorCommand(**{**self.body(), "mac": mac})

    def mac_ok(self, key: bytes) -> bool:
        if self.mac is None:
            return False
        want = hmac.new(key, canonical(self.body()), hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, self.mac)

    @classmethod
    def decode(cls, payload: bytes | str) -> DoorCommand:
        o = decode_object(payload)
        action = get_str(o, "action", max_len=16)
        if action not in DOOR_ACTIONS:
            raise MessageError(f"unknown action {action!r}")
        issued, expires = get_num(o, "issued_at"), get_num(o, "expires_at")
        if expires <= issued:
            raise MessageError("command expires before it was issued")
        duration = get_num(o, "duration_s", optional=True)
        if duration is not None and not 0 < duration <= 600:
            raise MessageError("duration_s must be between 0 and 600 seconds")
        seq = get_int(o, "seq", optional=True)
        override = o.get("override")
        if override is not None and override is not True:
            raise MessageError("override must be true or absent")
        return cls(
            id=get_segment(o, "id"),
            door_id=get_segment(o, "door_id"),
            action=action,
            issued_at=issued,
            expires_at=expires,
            reason=get_str(o, "reason", max_len=200),
            seq=seq or 0,
            duration_s=duration,
            override=override,
            mac=get_str(o, "mac", max_len=64, optional=True),
        )


# -- access requests and results -------------------------------------------------------------

CREDENTIAL_KINDS = ("card", "pin", "pass", "face")


@dataclass(frozen=True)
class AccessRequest:
    id: str
    door_id: str
    kind: str
    value: str  # card number, PIN digits, pass token, or for a face: the person id
    at: float
    source: str = ""
    score: float | None = None  # face distance, for the log
    channel: str | None = None  # set by the core from the topic (never read from the payload)

    @classmethod
    def decode(cls, payload: bytes | str) -> AccessRequest:
        o = decode_object(payload)
        kind = get_str(o, "kind", max_len=8)
        if kind not in CREDENTIAL_KINDS:
            raise MessageError(f"unknown credential kind {kind!r}")
        value = get_str(o, "value", max_len=128)
        if not value:
            raise MessageError("empty credential value")
        return cls(
            id=get_segment(o, "id"),
            door_id=get_segment(o, "door_id"),
            kind=kind,
            value=value,
            at=get_num(o, "at"),
            source=get_str(o, "source", max_len=64, optional=True) or "",
            score=get_num(o, "score", optional=True),
        )


@dataclass(frozen=True)
class AccessResult:
    request_id: str
    door_id: str
    granted: bool
    reason: str
    at: float
    person_id: int | None = None
    display_name: str | None = None  # "张先生": surname and title only, for the panel
    # From the attempt limiter, for PINs and faces: how long this credential or door is still
    # locked out (whole seconds, rounded up), and how many more failures it may have before.
    locked_for_s: int | None = None
    tries_left: int | None = None

    @classmethod
    def decode(cls, payload: bytes | str) -> AccessResult:
        o = decode_object(payload)
        granted = o.get("granted")
        if not isinstance(granted, bool):
            raise MessageError("field 'granted' must be true or false")
        counts = {k: get_int(o, k, optional=True) for k in ("locked_for_s", "tries_left")}
        if any(v is not None and v < 0 for v in counts.values()):
            raise MessageError("fields 'locked_for_s' and 'tries_left' must not be negative")
        return cls(
            request_id=get_segment(o, "request_id"),
            door_id=get_segment(o, "door_id"),
            granted=granted,
            reason=get_str(o, "reason"),
            at=get_num(o, "at"),
            person_id=get_int(o, "person_id", optional=True),
            display_name=get_str(o, "display_name", optional=True),
            **counts,
        )


# -- intercom call signalling ---------------------------------------------------------------

CALL_ACTIONS = ("dial", "hangup", "emergency")


@dataclass(frozen=True)
class IntercomCall:
    """What a door panel or entrance MCU says on ``intercom/<its door>/call``.

    The door is not in the body: the core takes it from the topic, which the broker lets a
    device write only for its own door. The caller picks the call id, so that it can listen on
    the call's state topic before the core answers there. A dial names the unit in full
    ("3-2-1501") or, from a building-entrance keypad, only the room ("1501").
    """

    action: str
    call_id: str
    at: float
    unit: str | None = None
    room: str | None = None

    @classmethod
    def decode(cls, payload: bytes | str) -> IntercomCall:
        o = decode_object(payload)
        unknown = set(o) - {"action", "call_id", "at", "unit", "room"}
        if unknown:
            raise MessageError(f"unknown field(s) {', '.join(sorted(unknown))}")
        action = get_str(o, "action", max_len=16)
        if action not in CALL_ACTIONS:
            raise MessageError(f"unknown call action {action!r}")
        unit = get_str(o, "unit", max_len=16, optional=True)
        room = get_str(o, "room", max_len=5, optional=True)
        if action == "dial":
            if (unit is None) == (room is None):
                raise MessageError("a dial names either 'unit' or 'room'")
            if room is not None and not room.isdigit():
                raise MessageError("field 'room' must be digits")
        elif unit is not None or room is not None:
            raise MessageError(f"a {action} names no unit or room")
        return cls(action, get_segment(o, "call_id"), get_num(o, "at"), unit, room)


# -- door events and state -------------------------------------------------------------------

DOOR_EVENT_TYPES = (
    "opened",
    "closed",
    "unlocked",
    "locked",
    "exit_button",
    "forced_open",
    "held_open",
    "tamper",
    "fire_release",
    "fire_cleared",
    # alarm-input zones of the perimeter and intrusion detectors (110 区域报警)
    "intrusion",
    "perimeter",
    "offline",
    "online",
)


@dataclass(frozen=True)
class DoorEvent:
    door_id: str
    type: str
    at: float
    data: dict[str, Any] = field(default_factory=dict)
    # Set by a door adapter that keeps its events until the core acknowledges them (the
    # bridge's journal): the core logs each id once, however often it is delivered.
    id: str | None = None

    @classmethod
    def decode(cls, payload: bytes | str) -> DoorEvent:
        o = decode_object(payload)
        type_ = get_str(o, "type", max_len=32)
        if type_ not in DOOR_EVENT_TYPES:
            raise MessageError(f"unknown door event {type_!r}")
        data = o.get("data", {})
        if not isinstance(data, dict):
            raise MessageError("field 'data' must be an object")
        id_ = o.get("id")
        if id_ is not None:
            id_ = get_segment(o, "id")
        return cls(get_segment(o, "door_id"), type_, get_num(o, "at"), data, id_)


# -- request/response API --------------------------------------------------------------------


@dataclass(frozen=True)
class ApiReply:
    ok: bool
    result: Any = None
    error: str | None = None

    def encode(self, corr: str = "") -> bytes:
        if self.ok:
            return canonical({"ok": True, "result": self.result, "corr": corr})
        return canonical({"ok": False, "error": self.error, "corr": corr})

    @classmethod
    def decode(cls, payload: bytes | str) -> ApiReply:
        o = decode_object(payload) if len(payload) <= MAX_PAYLOAD else _decode_big(payload)
        ok = o.get("ok")
        if not isinstance(ok, bool):
            raise MessageError("field 'ok' must be true or false")
        if ok:
            return cls(True, o.get("result"))
        return cls(False, None, get_str(o, "error", max_len=2000))


def _decode_big(payload: bytes | str) -> dict[str, Any]:
    # Replies from our own core (lists of passages, CSV exports) may exceed MAX_PAYLOAD; they
    # arrive on a reply topic that only the core may write, and are still read within bounds.
    return decode_object(payload, MAX_REPLY)
