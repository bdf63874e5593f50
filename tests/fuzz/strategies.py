"""Hypothesis strategies and settings for the fuzz suite (used by the tests and the bench)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from compound.protocol.messages import canonical

# Cases per target: the CI default keeps the whole fuzz suite near a minute; the soak and the
# bench raise it with FUZZ_EXAMPLES.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "700"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
COMMAND_KEYS = ("id", "door_id", "action", "issued_at", "expires_at", "reason", "seq",
                "duration_s", "mac", "kind", "value", "at", "type", "data", "granted",
                "request_id", "ok", "result", "error")  # fmt: skip
shaped = st.dictionaries(st.sampled_from(COMMAND_KEYS), json_values, max_size=10)


def _json_bytes(v: object) -> bytes:
    try:
        return canonical(v)
    except ValueError:  # NaN is not JSON; send it raw as Python would print it
        return repr(v).encode()


payloads = (
    st.binary(max_size=600)
    | json_values.map(_json_bytes)
    | shaped.map(_json_bytes)
    | st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass"))
)
