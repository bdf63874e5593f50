"""The checks on values a person gives, as plain functions: no database needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from compound.domain import validation
from compound.domain.model import InvalidInput, LockType, Role


def test_values_come_back_in_the_form_that_is_kept() -> None:
    assert validation.person_name("  张伟 ") == "张伟"
    assert validation.role("tenant") is Role.TENANT
    assert validation.id_number(" 11010119900101123x ") == "11010119900101123X"
    assert validation.lease("2026-01-01", date(2027, 6, 30)) == (
        date(2026, 1, 1),
        date(2027, 6, 30),
    )
    assert validation.card_number(" 0012345 ") == "0012345"
    assert validation.card_lookup("0012345") == validation.card_lookup("12345") == "12345"
    assert validation.card_lookup("000") == "0"
    assert validation.lock_type("maglock") is LockType.MAGLOCK
    assert [str(s) for s in validation.door_scopes(["3-2", "*"])] == ["3-2", "*"]


@pytest.mark.parametrize(
    ("check", "match"),
    [
        (lambda: validation.person_name("  "), "name of 1 to 100"),
        (lambda: validation.person_name("王\n小明"), "one line of letters"),
        (lambda: validation.person_name("王\x00"), "one line of letters"),
        (lambda: validation.role("landlord"), "unknown role"),
        (lambda: validation.lease("2027-01-01", "2026-01-01"), "before lease start"),
        (lambda: validation.id_number("12-34"), "malformed ID number"),
        (lambda: validation.phone("call me"), "malformed phone"),
        (lambda: validation.birth_year(1899), "from 1900 to 2099"),
        (lambda: validation.birth_year("1948"), "from 1900 to 2099"),  # a number, from the API
        (lambda: validation.occupants(-1), "0 to 99"),
        (lambda: validation.card_number("12ab"), "malformed card number"),
        (lambda: validation.pin("12345"), "6 to 8 digits"),
        (lambda: validation.pin("123456"), "too easy"),
        (lambda: validation.pin("777777"), "too easy"),
        (lambda: validation.pass_validity(10.0, 10.0), "end after it starts"),
        (lambda: validation.pass_validity(0.0, 32 * 86400.0), "at most 31 days"),
        # SQLite would keep it as NULL: a pass that never ends
        (lambda: validation.pass_validity(0.0, float("nan")), "a start and an end"),
        (lambda: validation.pass_validity(float("nan"), 3600.0), "a start and an end"),
        (lambda: validation.door_id("b3/e2"), "door id"),
        # the wall's tiles and the panels show it: 5,000 characters or two lines were stored
        (lambda: validation.door_name("门" * 65), "one line of at most 64 characters"),
        (lambda: validation.door_name("Gate\nB"), "one line of at most 64 characters"),
        (lambda: validation.door_scopes([]), "at least one"),
        (lambda: validation.lock_type("padlock"), "unknown lock type"),
        (lambda: validation.door_times(0.5, 60), "open time"),
        (lambda: validation.door_times(5, 4000), "held-open"),
    ],
)
def test_bad_values_are_refused_with_a_message_to_act_on(
    check: Callable[[], object], match: str
) -> None:
    with pytest.raises(InvalidInput, match=match):
        check()
