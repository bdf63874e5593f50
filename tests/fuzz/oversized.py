"""Oversized inputs: what a hostile or broken device sends to exhaust a parser.

Each is built on demand (some are 16 MB) and named, so the example-based tests, the hypothesis
strategies, ``bench/bench_fuzz.py`` and the atheris seeds all use the same set:

- JSON numbers of 4,301 and more digits (Python's ``int()`` refuses them with a plain
  ``ValueError``, which once escaped ``decode_object``), as a field, as the whole payload,
  negative, and inside a well-formed command;
- deep nesting: 200 KB of brackets, well-formed nested objects, nesting just past the limit
  within the size bound;
- payloads past the bus's size bound (``MAX_PAYLOAD``) and past the reply bound (``MAX_REPLY``);
- very long strings: as field values within the size bound (each decoder's field limits must
  refuse them) and long keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from hypothesis import strategies as st

from compound.protocol.messages import MAX_DEPTH, MAX_PAYLOAD, MAX_REPLY

NOW = 1_800_000_000.0


def _command_with(field: str, raw: bytes) -> bytes:
    body = {
        "id": "c0ffee",
        "door_id": "d1",
        "action": "unlock",
        "issued_at": NOW,
        "expires_at": NOW + 3,
        "reason": "card access",
        "seq": 7,
        "duration_s": 5.0,
        "mac": "00" * 32,
        "ok": True,
        "corr": "k1",
        "type": "opened",
        "at": NOW,
        "kind": "card",
        "value": "10001",
        "request_id": "r1",
        "granted": True,
        "call_id": "c1",
        "unit": "3-2-1501",
    }
    marker = b'"@@"'
    body[field] = "@@"
    return json.dumps(body, separators=(",", ":")).encode().replace(marker, raw, 1)


def long_number(digits: int, field: str = "seq", sign: bytes = b"") -> bytes:
    return _command_with(field, sign + b"9" * digits)


def long_string(chars: int, field: str = "reason") -> bytes:
    return _command_with(field, json.dumps("x" * chars).encode())


def deep_arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def padded(size: int) -> bytes:
    """A well-formed object of ``size`` bytes: only the size bound refuses it."""
    head = b'{"ok":true,"corr":"k1","pad":"'
    return head + b"x" * (size - len(head) - 2) + b'"}'


OVERSIZED: dict[str, Callable[[], bytes]] = {
    "number-4301-digits": lambda: long_number(4301),
    "number-5000-digits-whole-payload": lambda: b"9" * 5000,
    "number-4301-digits-negative": lambda: long_number(4301, sign=b"-"),
    "number-4301-digits-in-corr": lambda: long_number(4301, "corr"),
    "number-4301-digits-in-at": lambda: long_number(4301, "at"),
    "number-15000-digits": lambda: long_number(15_000),
    "float-400-digits-huge-exponent": lambda: _command_with("at", b"9" * 400 + b"e99999"),
    # found by atheris: read by json, too large for a float (isfinite raised OverflowError)
    "int-400-digits-in-at": lambda: _command_with("at", b"9" * 400),
    "int-400-digits-in-issued_at": lambda: _command_with("issued_at", b"-" + b"9" * 400),
    "int-400-digits-in-duration": lambda: _command_with("duration_s", b"9" * 400),
    "nested-200k-brackets": lambda: deep_arrays(100_000),
    "nested-200k-open-only": lambda: b"[" * 200_000,
    "nested-objects-2000": lambda: deep_objects(2_000),
    "nested-just-past-limit": lambda: b'{"a":' + deep_arrays(MAX_DEPTH + 1) + b"}",
    "nested-in-string-and-real": lambda: (
        b'{"s":"' + b"[" * 9000 + b'","d":' + deep_arrays(600) + b"}"
    ),
    "past-bus-bound": lambda: padded(MAX_PAYLOAD + 1),
    "past-bus-bound-1mb": lambda: padded(1 << 20),
    "past-reply-bound": lambda: padded(MAX_REPLY + 1),
    "string-15000-in-reason": lambda: long_string(15_000),
    "string-15000-in-id": lambda: long_string(15_000, "id"),
    "string-15000-in-door": lambda: long_string(15_000, "door_id"),
    "string-15000-in-error": lambda: long_string(15_000, "error"),
    "string-15000-in-mac": lambda: long_string(15_000, "mac"),
    "key-15000": lambda: b'{"' + b"k" * 15_000 + b'":1}',
}


# Hypothesis: the same shapes with sizes drawn around each bound.
oversized_payloads = st.one_of(
    st.builds(long_number, st.integers(4301, 20_000),
              st.sampled_from(("seq", "at", "issued_at", "expires_at", "corr", "duration_s")),
              st.sampled_from((b"", b"-"))),
    st.builds(long_string, st.integers(257, MAX_PAYLOAD - 400),
              st.sampled_from(("reason", "id", "door_id", "error", "mac", "value", "type"))),
    st.builds(deep_arrays, st.integers(MAX_DEPTH + 1, 100_000)),
    st.builds(deep_objects, st.integers(MAX_DEPTH + 1, 30_000)),
    st.builds(padded, st.integers(MAX_PAYLOAD + 1, 4 * MAX_PAYLOAD)),
    st.sampled_from(sorted(OVERSIZED)).map(lambda name: OVERSIZED[name]()),
)  # fmt: skip

# Refused by every decoder and every callback, whatever else the payload holds: too many digits,
# too deep, or past the size bound. (A reply may be larger than a request: ``ApiReply`` reads up
# to ``MAX_REPLY``, so the two payloads between the bounds are refused by every other decoder.)
BETWEEN_BOUNDS = frozenset({"past-bus-bound", "past-bus-bound-1mb"})
REFUSED_BY_ALL = (
    frozenset(name for name in OVERSIZED if name.startswith(("number-", "nested-", "past-")))
    - BETWEEN_BOUNDS
)
