"""What a box tells the platform about its link: only known numbers for its own site are taken,
and only its uplink's availability topic names its link."""

from __future__ import annotations

import json

from compound.domain.uplink_link import (
    availability_site,
    parse_availability,
    parse_status,
    status_message,
)

STATUS = {
    "waiting": 3,
    "unconfirmed": 2,
    "oldest_unsent_age_s": 12.34,
    "oldest_unconfirmed_age_s": 4.0,
    "unsent_bytes": 999,
}


def test_a_status_round_trip_keeps_only_the_numbers() -> None:
    msg = status_message("s1", STATUS, 1000.0)
    assert "unsent_bytes" not in msg
    got = parse_status(json.dumps(msg).encode(), "s1")
    assert got == {
        "site": "s1",
        "waiting": 3,
        "unconfirmed": 2,
        "oldest_waiting_age_s": 12.3,
        "oldest_unconfirmed_age_s": 4.0,
        "at": 1000.0,
    }


def test_a_status_for_another_site_or_with_odd_numbers_is_dropped() -> None:
    good = status_message("s1", STATUS, 1000.0)
    assert parse_status(json.dumps(good).encode(), "s2") is None
    for key, bad in (("waiting", -1), ("waiting", True), ("unconfirmed", "2"), ("at", 1e13)):
        assert parse_status(json.dumps({**good, key: bad}).encode(), "s1") is None, key
    assert parse_status(json.dumps({"site": "s1"}).encode(), "s1") is None
    assert parse_status(b"{not json", "s1") is None


def test_only_a_sites_own_uplink_names_its_link() -> None:
    assert availability_site("compound/s1/device/uplink-s1/availability") == "s1"
    assert availability_site("compound/s1/device/uplink-s2/availability") is None
    assert availability_site("compound/s1/device/core/availability") is None
    assert availability_site("city/s1/status") is None
    assert (parse_availability(b"online"), parse_availability(b"offline")) == (True, False)
    assert parse_availability(b"maybe") is None
