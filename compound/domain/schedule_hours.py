"""A schedule's hours as the property office writes them: sets of days, each with up to four
spans of time, and the spans for public holidays (none: closed on holidays).

A gate that opens 06:00-09:00 and 16:30-22:00 on weekdays and 08:00-20:00 at weekends is two
sets: ``mon-fri`` with two spans and ``sat-sun`` with one. A span whose end is not after its
start runs past midnight (22:00-06:00): its early morning belongs to the day after each of its
days. Each day belongs to one set at most; a day's spans, the early mornings of the day before
included, must not overlap; a span must not be empty. Every refusal names the day and the spans,
so a manager can see what to change.

This written form is what the console edits and the store keeps beside the schedule; the access
decision reads only its ``TimeWindow``s (``windows``), computed once when the schedule is saved,
so a decision stays a scan of a few windows whatever the form. On a holiday the holiday spans
apply whatever the weekday (an overnight holiday span opens that date's evening and early
morning), as before.

Pure: strings and plain values in, values out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from compound.domain.model import InvalidInput, Schedule, TimeWindow, parse_hhmm
from compound.domain.schedules import ALL_DAYS, HOLIDAY_MODES, days_text, hhmm, parse_days

MAX_SPANS = 4  # on one day (and on holidays): more is a mistake, not a door's hours
DAY_WORDS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOLIDAYS = "holidays"  # what the refusals call the holiday spans' "day"
_SPAN_RE = re.compile(r"^\s*(\S+?)\s*(?:-|~|–|—|to)\s*(\S+)\s*$")


@dataclass(frozen=True, order=True)
class Span:
    """From ``start`` to ``end``, minutes after midnight; ``end <= start`` runs past midnight
    into the next day (``end`` 1440 is midnight at the end of the same day)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < 1440 and 0 < self.end <= 1440):
            raise InvalidInput("a span runs from 00:00-23:59 to 00:01-24:00")
        if self.start == self.end:
            raise InvalidInput(
                f"the span {self.text} is empty: its start and end are the same time"
                " (00:00-24:00 is the whole day)"
            )

    @property
    def overnight(self) -> bool:
        return self.end < self.start

    @property
    def text(self) -> str:
        return f"{hhmm(self.start)}-{hhmm(self.end)}"

    def today(self) -> tuple[int, int]:
        """The part on the span's own day."""
        return (self.start, 1440) if self.overnight else (self.start, self.end)

    def after_midnight(self) -> tuple[int, int] | None:
        """The early morning of the next day, for an overnight span."""
        return (0, self.end) if self.overnight else None


def parse_span(value: Any) -> Span:
    """``"06:00-09:00"`` (also ``06:00~09:00``), ``{"from", "to"}`` or ``["06:00", "09:00"]``."""
    if isinstance(value, dict):
        ends: Sequence[Any] = (value.get("from"), value.get("to"))
    elif isinstance(value, list | tuple):
        ends = value
    elif isinstance(value, str) and (m := _SPAN_RE.match(value)):
        ends = (m[1], m[2])
    else:
        ends = ()
    if len(ends) != 2 or not all(isinstance(e, str) for e in ends):
        raise InvalidInput(f"malformed span {value!r}: write HH:MM-HH:MM, e.g. 06:00-09:00")
    start, end = parse_hhmm(ends[0]), parse_hhmm(ends[1])
    if start == 1440:
        raise InvalidInput(f"the span {ends[0]}-{ends[1]} starts at 24:00: start it at 00:00")
    if start == end:
        raise InvalidInput(
            f"the span {hhmm(start)}-{hhmm(end)} is empty: its start and end are the same time"
            " (00:00-24:00 is the whole day)"
        )
    return Span(start, end or 1440)


@dataclass(frozen=True)
class DayHours:
    days: frozenset[int]
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class WeeklyHours:
    sets: tuple[DayHours, ...]
    holiday: tuple[Span, ...] = ()  # empty: closed on holidays

    def windows(self) -> tuple[list[TimeWindow], list[TimeWindow]]:
        """The weekday windows and holiday windows the access decision reads."""
        week: list[TimeWindow] = []
        for s in self.sets:
            for span in s.spans:
                week.append(TimeWindow(s.days, *span.today()))
                morning = span.after_midnight()
                if morning is not None:
                    week.append(TimeWindow(frozenset((d + 1) % 7 for d in s.days), *morning))
        holiday = []
        for span in self.holiday:
            holiday.append(TimeWindow(ALL_DAYS, *span.today()))
            morning = span.after_midnight()
            if morning is not None:
                holiday.append(TimeWindow(ALL_DAYS, *morning))
        return week, holiday

    def describe(self) -> dict[str, Any]:
        """The part of a schedule's description the CLI, the API and the console show."""
        return {
            "hours": [
                {"days": days_text(s.days), "spans": [_span_dict(p) for p in s.spans]}
                for s in self.sets
            ],
            "holidays": "open" if self.holiday else "closed",
            "holiday_hours": [_span_dict(p) for p in self.holiday],
        }

    def dumps(self) -> str:
        """The stored form: ``{"sets": [[days, [[start, end], ...]], ...], "holiday": [...]}``."""
        return json.dumps(
            {
                "sets": [[sorted(s.days), [[p.start, p.end] for p in s.spans]] for s in self.sets],
                "holiday": [[p.start, p.end] for p in self.holiday],
            }
        )

    @staticmethod
    def loads(text: str) -> WeeklyHours:
        data = json.loads(text)
        return WeeklyHours(
            tuple(
                DayHours(frozenset(days), tuple(Span(a, b) for a, b in spans))
                for days, spans in data["sets"]
            ),
            tuple(Span(a, b) for a, b in data["holiday"]),
        )


def _span_dict(p: Span) -> dict[str, str]:
    return {"from": hhmm(p.start), "to": hhmm(p.end)}


def weekly(
    sets: Iterable[tuple[frozenset[int], Sequence[Span]]], holiday: Sequence[Span]
) -> WeeklyHours:
    """Checked hours: each day in one set, at most ``MAX_SPANS`` a day, no overlaps."""
    out: list[DayHours] = []
    owner: dict[int, int] = {}
    for days, spans in sets:
        if not days:
            raise InvalidInput("each set of hours needs at least one day")
        if not spans:
            raise InvalidInput(
                f"no hours given for {days_text(days)}: add a span such as 06:00-09:00"
            )
        for d in sorted(days):
            if d in owner:
                raise InvalidInput(
                    f"{DAY_WORDS[d]} is in two sets of days: give each day one set of hours"
                )
            owner[d] = len(out)
        if len(spans) > MAX_SPANS:
            raise InvalidInput(
                f"{DAY_WORDS[min(days)]} has {len(spans)} spans; a day has at most {MAX_SPANS}"
            )
        out.append(DayHours(frozenset(days), tuple(sorted(spans))))
    if len(holiday) > MAX_SPANS:
        raise InvalidInput(f"{HOLIDAYS} has {len(holiday)} spans; a day has at most {MAX_SPANS}")
    if not out and not holiday:
        raise InvalidInput("a schedule needs at least one span of hours")
    for d in range(7):
        pieces: list[tuple[int, int, Span]] = []
        for s in out:
            for p in s.spans:
                if d in s.days:
                    pieces.append((*p.today(), p))
                morning = p.after_midnight()
                if morning is not None and (d - 1) % 7 in s.days:
                    pieces.append((*morning, p))
        _no_overlap(DAY_WORDS[d], pieces)
    whole_day = [(a, b, p) for p in holiday for a, b in _pieces(p)]
    _no_overlap(HOLIDAYS, whole_day)
    return WeeklyHours(tuple(out), tuple(sorted(holiday)))


def _pieces(p: Span) -> list[tuple[int, int]]:
    morning = p.after_midnight()
    return [p.today()] + ([morning] if morning is not None else [])


def _no_overlap(day: str, pieces: list[tuple[int, int, Span]]) -> None:
    pieces.sort(key=lambda x: (x[0], x[1]))
    for (_, end, a), (start, _, b) in zip(pieces, pieces[1:], strict=False):
        if start < end:
            first, second = sorted((a, b))
            raise InvalidInput(
                f"on {day}, {first.text} and {second.text} overlap:"
                " join them into one span or move one"
            )


def from_params(p: dict[str, Any]) -> WeeklyHours:
    """The API's and the console's form: ``{"hours": [{"days": "mon-fri", "spans":
    ["06:00-09:00", "16:30-22:00"]}, ...], "holidays": "closed" | "open" | [spans]}``, or the
    one-span form ``{"days", "from", "to", "holidays"}``."""
    hours = p.get("hours")
    if hours is None:
        for key in ("days", "from", "to"):
            if not isinstance(p.get(key), str):
                raise InvalidInput(f"{key} must be text")
        hours = [{"days": p["days"], "spans": [[p["from"], p["to"]]]}]
    if not isinstance(hours, list) or not all(isinstance(h, dict) for h in hours):
        raise InvalidInput('hours is a list of {"days": "mon-fri", "spans": ["06:00-09:00"]}')
    sets: list[tuple[frozenset[int], list[Span]]] = []
    for h in hours:
        days, spans = h.get("days"), h.get("spans")
        if not isinstance(days, str) or not isinstance(spans, list):
            raise InvalidInput('hours is a list of {"days": "mon-fri", "spans": ["06:00-09:00"]}')
        sets.append((parse_days(days), [parse_span(s) for s in spans]))
    return with_holidays(sets, p.get("holidays", "closed"))


def with_holidays(sets: list[tuple[frozenset[int], list[Span]]], holidays: Any) -> WeeklyHours:
    """``holidays``: ``closed``, ``open`` (the week's hours, when every set has the same
    spans) or the holiday spans themselves (a list, or text such as ``09:00-12:00,14:00-17:00``)."""
    if isinstance(holidays, str) and holidays.strip().lower() in HOLIDAY_MODES:
        if holidays.strip().lower() == "closed":
            return weekly(sets, [])
        spans = {tuple(sorted(s)) for _, s in sets}
        if len(spans) > 1:
            raise InvalidInput(
                "holidays open means the week's hours, but the sets of days have different"
                " hours: give the holiday spans themselves"
            )
        return weekly(sets, list(next(iter(spans), ())))
    if isinstance(holidays, str) and _SPAN_RE.match(holidays.split(",")[0]):
        holidays = [s for s in holidays.split(",") if s.strip()]
    if not isinstance(holidays, list):
        raise InvalidInput(
            f"unknown holiday rule {holidays!r}: use closed or open, or give holiday spans"
            " such as 09:00-12:00"
        )
    return weekly(sets, [parse_span(s) for s in holidays])


def from_windows(
    windows: Iterable[TimeWindow], holiday_windows: Iterable[TimeWindow] = ()
) -> WeeklyHours:
    """The written form of windows saved before schedules had several spans: an evening to
    24:00 and the next days' morning from 00:00 become one overnight span again, and windows
    on the same days one set. Not checked (what was saved stays as it was, even a form the
    checks would refuse today): the windows themselves still decide."""
    rest = list(windows)
    spans: list[tuple[frozenset[int], Span]] = []
    while rest:
        w = rest.pop(0)
        if w.end == 1440 and w.start > 0:
            after = frozenset((d + 1) % 7 for d in w.weekdays)
            morning = next(
                (m for m in rest if m.start == 0 and m.weekdays == after and m.end <= w.start),
                None,
            )
            if morning is not None:
                rest.remove(morning)
                spans.append((w.weekdays, Span(w.start, morning.end)))
                continue
        spans.append((w.weekdays, Span(w.start, w.end)))
    sets: dict[frozenset[int], list[Span]] = {}
    for days, span in spans:
        sets.setdefault(days, []).append(span)
    hol = list(holiday_windows)
    holiday: list[Span] = []
    while hol:
        w = hol.pop(0)
        morning = next((m for m in hol if m.start == 0 and w.end == 1440 and w.start > 0), None)
        if morning is not None and morning.end <= w.start:
            hol.remove(morning)
            holiday.append(Span(w.start, morning.end))
        else:
            holiday.append(Span(w.start, w.end))
    return WeeklyHours(
        tuple(DayHours(d, tuple(sorted(s))) for d, s in sets.items()), tuple(sorted(holiday))
    )


def describe(s: Schedule, written: WeeklyHours | None = None) -> dict[str, Any]:
    """A schedule as the CLI and the console show it: its written form when the store has
    it, else the form its windows give."""
    hours = written or from_windows(s.windows, s.holiday_windows)
    return {"id": s.id, "name": s.name, **hours.describe()}


def describe_text(d: dict[str, Any]) -> str:
    """One line: ``gate   mon-fri 06:00-09:00, 16:30-22:00; sat-sun 08:00-20:00; closed on
    holidays``."""
    week = "; ".join(
        f"{h['days']} " + ", ".join(f"{s['from']}-{s['to']}" for s in h["spans"])
        for h in d["hours"]
    )
    if d.get("holiday_hours"):
        hol = "holidays " + ", ".join(f"{s['from']}-{s['to']}" for s in d["holiday_hours"])
    else:
        hol = "closed on holidays"
    return f"{week or 'never'}; {hol}"
