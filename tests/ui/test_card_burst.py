"""A card reader's burst of digits and Enter is told from a person typing the same keys."""

from __future__ import annotations

from ui.viewmodels.card_burst import GAP_S, CardBurst


def typed(burst: CardBurst, text: str, start: float, every: float) -> float:
    at = start
    for ch in text:
        burst.key(ch, at)
        at += every
    return at - every


def test_a_fast_burst_ending_in_enter_is_a_card() -> None:
    b = CardBurst()
    last = typed(b, ";0012345678?", 10.0, 0.004)
    assert b.enter(last + 0.004) == "0012345678"
    assert b.enter(last + 0.008) is None  # said once


def test_slow_digits_are_a_persons_typing() -> None:
    b = CardBurst()
    last = typed(b, "12345678", 10.0, 0.2)
    assert b.enter(last + 0.1) is None


def test_a_pause_before_the_swipe_leaves_the_earlier_keys_out() -> None:
    b = CardBurst()
    typed(b, "99", 10.0, 0.3)
    last = typed(b, "0012345678", 11.0, 0.005)
    assert b.enter(last + 0.005) == "0012345678"


def test_enter_long_after_the_digits_is_not_a_swipe() -> None:
    b = CardBurst()
    last = typed(b, "0012345678", 10.0, 0.005)
    assert b.enter(last + GAP_S * 10) is None


def test_letters_are_not_kept_and_break_a_burst() -> None:
    b = CardBurst()
    assert not b.key("w", 10.0)
    assert b.key("1", 10.001) and b.key("?", 10.002)
    typed(b, "0012", 10.003, 0.001)
    assert not b.key("x", 10.008)
    assert b.enter(10.009) is None
    last = typed(b, "123", 10.01, 0.001)
    assert b.enter(last + 0.001) is None  # too few digits for a card
