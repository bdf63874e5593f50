"""The panel's part of the ACL, without a broker: what the file grants a door panel for calls.

The matrix in tests/security runs the same rules on a real Mosquitto; these say why each rule
exists and fail fast when a role's list is edited.
"""

from __future__ import annotations

import pytest

from compound.domain.model import InvalidInput
from compound.protocol.acl import CONSOLE_CALL_METHODS, Device, rules_for
from compound.protocol.topics import Topics


def writes(d: Device, topics: Topics) -> set[str]:
    return {r.topic for r in rules_for(d, topics) if r.access in ("write", "readwrite")}


def test_panel_writes_only_its_own_doors_call_topic_and_no_call_api(topics: Topics) -> None:
    """The broker cannot read API parameters, so a panel must have no call API method at all;
    its one call topic is its own door's, where the core reads the calling door."""
    w = writes(Device("p1", "panel", doors=("d1",)), topics)
    assert topics.intercom_call("d1") in w
    assert not [t for t in w if "/intercom/" in t and t != topics.intercom_call("d1")]
    for m in CONSOLE_CALL_METHODS:
        assert topics.api("p1", m) not in w
    # Its requests only under its own name, which the core logs as the asker.
    assert {t for t in w if "/api/" in t} == {
        topics.api("p1", "door.list"),
        topics.api("p1", "door.show"),
        topics.api("p1", "notice.list"),
    }
    assert not [t for t in w if t.endswith("#") or "+" in t]


def test_console_keeps_the_call_api(topics: Topics) -> None:
    """The officer and managers place calls by API; their role writes every API method, under
    its own name only."""
    w = writes(Device("c1", "console"), topics)
    assert topics.api("c1", "#") in w
    assert [t for t in w if "/api/" in t] == [topics.api("c1", "#")]


def test_a_panel_cannot_be_given_the_call_api_as_an_extra_method() -> None:
    """An installer's --method call.start on a panel would reopen the hole; it is refused with
    a message saying where panel calls go."""
    with pytest.raises(InvalidInput, match="own door's call topic"):
        Device("p1", "panel", doors=("d1",), methods=("call.start",))
