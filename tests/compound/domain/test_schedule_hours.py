"""Several spans a day: what a gate's schedule lets in at each minute (the edges of each span,
past midnight, on holidays and worked weekend days), what is refused with a message a manager
can act on, and the written form read back from windows saved before."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.model import InvalidInput, Schedule
from compound.domain.schedule_hours import (
    MAX_SPANS,
    Span,
    WeeklyHours,
    from_params,
    from_windows,
    parse_span,
)
from compound.domain.schedules import hours

MON, FRI, SAT, SUN = 0, 4, 5, 6

GATE = {
    "hours": [
        {"days": "mon-fri", "spans": ["06:00-09:00", "16:30-22:00"]},
        {"days": "sat-sun", "spans": ["08:00-20:00"]},
    ],
    "holidays": "closed",
}


def schedule(p: dict[str, Any]) -> Schedule:
    week, holiday = from_params(p).windows()
    return Schedule(1, "gate", tuple(week), tuple(holiday))


def m(text: str) -> int:
    h, mm = text.split(":")
    return int(h) * 60 + int(mm)


@pytest.mark.parametrize(
    ("day", "time", "open_"),
    [
        (MON, "05:59", False),
        (MON, "06:00", True),  # a span opens at its first minute
        (MON, "08:59", True),
        (MON, "09:00", False),  # ... and is shut at its end
        (MON, "12:00", False),  # between the two spans
        (MON, "16:29", False),
        (MON, "16:30", True),
        (FRI, "21:59", True),
        (FRI, "22:00", False),
        (SAT, "07:59", False),
        (SAT, "08:00", True),  # the weekend's own hours
        (SAT, "06:30", False),  # not the weekdays' morning
        (SUN, "19:59", True),
        (SUN, "20:00", False),
    ],
)
def test_two_spans_on_weekdays_and_other_hours_at_weekends(
    day: int, time: str, open_: bool
) -> None:
    assert schedule(GATE).allows(day, m(time), holiday=False) is open_


def test_a_public_holiday_closes_the_gate_and_a_worked_sunday_takes_weekday_hours() -> None:
    gate = schedule(GATE)
    for time in ("06:00", "08:00", "17:00"):
        assert not gate.allows(MON, m(time), holiday=True)
    # 调休: a worked Sunday has its own hours and those of the set covering Monday to Friday.
    assert gate.allows(SUN, m("06:30"), holiday=False, workday=True)
    assert gate.allows(SUN, m("19:00"), holiday=False, workday=True)
    assert not gate.allows(SUN, m("22:30"), holiday=False, workday=True)
    own = schedule({**GATE, "holidays": ["09:00-12:00", "22:00-01:00"]})
    assert own.allows(MON, m("09:00"), holiday=True) and not own.allows(MON, m("12:00"), True)
    assert own.allows(MON, m("23:00"), holiday=True) and own.allows(MON, m("00:30"), True)
    assert not own.allows(MON, m("06:30"), holiday=True)  # not the weekday's morning


def test_a_span_past_midnight_opens_the_next_mornings() -> None:
    night = schedule({"hours": [{"days": "fri-sat", "spans": ["22:00-02:00"]}]})
    assert night.allows(FRI, m("22:00"), False) and night.allows(FRI, m("23:59"), False)
    assert night.allows(SAT, m("00:00"), False) and night.allows(SAT, m("01:59"), False)
    assert not night.allows(SAT, m("02:00"), False)
    assert night.allows(SUN, m("01:00"), False)  # Saturday night's morning
    assert not night.allows(FRI, m("01:00"), False)  # Thursday has no night
    assert not night.allows(MON, m("01:00"), False)  # Sunday has no night
    # Sunday's night runs into Monday: the week wraps.
    sunday = schedule({"hours": [{"days": "sun", "spans": ["23:00-01:00"]}]})
    assert sunday.allows(MON, m("00:30"), False) and not sunday.allows(SUN, m("00:30"), False)
    # A span to 00:00 ends at midnight; 00:00-24:00 is the whole day.
    assert parse_span("20:00-00:00") == Span(m("20:00"), 1440)
    whole = schedule({"hours": [{"days": "mon", "spans": ["00:00-24:00"]}]})
    assert whole.allows(MON, 0, False) and whole.allows(MON, 1439, False)
    assert not whole.allows(SUN, 1439, False)


@pytest.mark.parametrize(
    ("p", "message"),
    [
        (
            {"hours": [{"days": "mon-fri", "spans": ["06:00-09:00", "08:30-10:00"]}]},
            "on Monday, 06:00-09:00 and 08:30-10:00 overlap: join them into one span or move one",
        ),
        (  # Friday night's morning overlaps Saturday's own span
            {
                "hours": [
                    {"days": "mon-fri", "spans": ["22:00-02:00"]},
                    {"days": "sat", "spans": ["01:00-05:00"]},
                ]
            },
            "on Saturday, 01:00-05:00 and 22:00-02:00 overlap",
        ),
        (
            {"hours": [{"days": "mon", "spans": ["06:00-06:00"]}]},
            "the span 06:00-06:00 is empty",
        ),
        (
            {"hours": [{"days": "mon", "spans": ["00:00-00:00"]}]},
            "the span 00:00-00:00 is empty",
        ),
        ({"hours": [{"days": "mon", "spans": ["24:00-06:00"]}]}, "the span 24:00-06:00 starts at"),
        ({"hours": [{"days": "mon", "spans": ["6-9"]}]}, "malformed time '6'"),
        ({"hours": [{"days": "mon", "spans": ["morning"]}]}, "malformed span 'morning'"),
        ({"hours": [{"days": "mon", "spans": ["06:00-09:00", 7]}]}, "malformed span 7"),
        (
            {
                "hours": [
                    {"days": "mon-fri", "spans": ["06:00-09:00"]},
                    {"days": "fri-sun", "spans": ["10:00-12:00"]},
                ]
            },
            "Friday is in two sets of days: give each day one set of hours",
        ),
        (
            {
                "hours": [
                    {"days": "mon", "spans": [f"0{h}:00-0{h}:30" for h in range(MAX_SPANS + 1)]}
                ]
            },
            f"Monday has {MAX_SPANS + 1} spans; a day has at most {MAX_SPANS}",
        ),
        ({"hours": [{"days": "mon", "spans": []}]}, "no hours given for mon"),
        ({"hours": []}, "a schedule needs at least one span of hours"),
        ({"hours": "mon-fri 06:00-09:00"}, "hours is a list"),
        (
            {"hours": [{"days": "mon", "spans": ["06:00-09:00"]}], "holidays": 3},
            "unknown holiday rule 3",
        ),
        (
            {**GATE, "holidays": "open"},
            "holidays open means the week's hours, but the sets of days have different hours",
        ),
        (
            {**GATE, "holidays": ["22:00-03:00", "02:00-04:00"]},
            "on holidays, 02:00-04:00 and 22:00-03:00 overlap",
        ),
        ({"days": "mon-fri", "from": "07:00"}, "to must be text"),
    ],
)
def test_refusals_say_what_to_change(p: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as e:
        from_params(p)
    assert str(e.value).startswith(message), str(e.value)


def test_touching_spans_and_open_holidays_with_one_set_are_accepted() -> None:
    w = from_params(
        {
            "hours": [{"days": "mon-fri", "spans": ["09:00-12:00", "06:00-09:00"]}],
            "holidays": "open",
        }
    )
    assert [s.text for s in w.sets[0].spans] == ["06:00-09:00", "09:00-12:00"]  # in order
    assert w.holiday == w.sets[0].spans
    one = from_params({"days": "mon-fri", "from": "22:00", "to": "06:00", "holidays": "open"})
    assert one.describe()["hours"] == [
        {"days": "mon-fri", "spans": [{"from": "22:00", "to": "06:00"}]}
    ]
    assert from_params({**GATE, "holidays": "09:00-12:00,14:00-17:00"}).describe()[
        "holiday_hours"
    ] == [{"from": "09:00", "to": "12:00"}, {"from": "14:00", "to": "17:00"}]


def test_the_stored_form_reads_back_and_old_windows_give_their_spans() -> None:
    gate = from_params({**GATE, "holidays": ["22:00-01:00"]})
    assert WeeklyHours.loads(gate.dumps()) == gate
    assert from_windows(*gate.windows()) == gate
    # What the one-span form saved: one span is a one-span list, the night one span again.
    for days, start, end, hol in (
        ("mon-fri", "07:00", "18:00", "closed"),
        ("sat-sun", "22:00", "06:00", "open"),
        ("mon-sun", "22:00", "06:00", "open"),  # every day: the morning's days are the same
        ("mon", "20:00", "00:00", "closed"),
    ):
        written = from_windows(*hours(days, start, end, hol))
        assert len(written.sets) == 1 and len(written.sets[0].spans) == 1
        span = written.sets[0].spans[0]
        assert (span.start, span.end % 1440) == (m(start), m(end))
        assert written.holiday == (written.sets[0].spans if hol == "open" else ())
        # ... and the same windows come out of it, so nothing decides differently.
        assert sorted(map(repr, written.windows()[0])) == sorted(
            map(repr, hours(days, start, end, hol)[0])
        )
