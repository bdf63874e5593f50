"""The uplink's records with plain values: the guard, the envelope, the acknowledgement, and one
site's stream as the platform sees it (order, duplicates, gaps, when to acknowledge)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compound.domain.uplink_records import (
    SiteStream,
    Withheld,
    ack_message,
    envelope,
    guard,
    parse_ack,
)


def row(seq: int, payload: Any, withheld: str | None = None) -> dict[str, Any]:
    return {
        "seq": seq,
        "event_seq": seq + 100,
        "kind": "passage",
        "created_at": 1.0,
        "payload": json.dumps(payload),
        "withheld": withheld,
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"face": {"template": [0.1]}},
        {"people": [{"id_number": "110101199001011234"}]},
        {"note": "x" * 513},
    ],
)
def test_the_guard_refuses_biometrics_images_and_unmasked_ids(payload: Any) -> None:
    with pytest.raises(Withheld):
        guard(payload)


def test_a_masked_id_passes_and_a_refused_record_goes_as_a_tombstone() -> None:
    guard({"id_number": "1101**********1234", "door": "b1"})
    env = envelope("s", row(7, {"template": "abc"}))
    assert env["seq"] == 7 and env["id"] == "s:107" and "record" not in env
    assert "template" in env["withheld"]
    assert envelope("s", row(8, {"door": "b1"}))["record"] == {"door": "b1"}
    assert envelope("s", row(9, {"door": "b1"}, withheld="earlier"))["withheld"] == "earlier"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (json.dumps(ack_message("s", 5)).encode(), 5),
        (json.dumps(ack_message("other", 5)).encode(), None),
        (b'{"site": "s", "upto": true}', None),
        (b'{"site": "s", "upto": -1}', None),
        (b"not json", None),
    ],
)
def test_an_acknowledgement_is_read_only_for_its_own_site(
    payload: bytes, expected: int | None
) -> None:
    assert parse_ack(payload, "s") == expected


def test_a_site_stream_releases_in_order_drops_duplicates_and_sees_gaps() -> None:
    st = SiteStream()
    assert st.admit(1, "s:1", {"seq": 1}) and [r["seq"] for r in st.release()] == [1]
    assert st.admit(3, "s:3", {"seq": 3}) and list(st.release()) == []
    assert st.gaps() == [2] and st.acked_upto() == 1
    assert not st.admit(3, "s:3", {"seq": 3}) and not st.admit(1, "s:1", {"seq": 1})
    assert st.duplicates == 2
    assert st.admit(2, "s:2", {"seq": 2}) and [r["seq"] for r in st.release()] == [2, 3]
    assert st.gaps() == [] and [r["seq"] for r in st.records] == [1, 2, 3]


def test_a_site_stream_acknowledges_growth_and_repeats_after_a_duplicate() -> None:
    st = SiteStream()
    assert st.ack_due() is None
    st.admit(1, "s:1", {})
    list(st.release())
    assert st.ack_due() == 1 and st.ack_due() is None
    st.admit(1, "s:1", {})  # the box missed the acknowledgement: say it again
    assert st.ack_due() == 1 and st.ack_due() is None
