"""The spans of a schedule being written on the console, before it is saved.

The manager taps the days (and, if it applies, "holidays"), types a start and an end, and adds
the span; spans on the same days make one set of the schedule, spans marked for holidays its
holiday hours (none: closed on holidays). Each span is checked as it is added, with the core's
own rules (``compound.domain.schedule_hours``), so an overlap or an empty span is refused at
once and in the screen's language; the core checks the whole schedule again when it is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from compound.domain.schedule_hours import from_params, parse_span
from compound.domain.schedules import DAY_NAMES, days_text, hhmm, parse_days


class Missing(Exception):
    """Something not chosen or not typed: ``key`` is the console's text saying what."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class DraftSpan:
    days: str  # "mon-fri", as the core reads days; "" for holidays only
    holidays: bool  # the span applies on public holidays too
    start: str  # "06:00"
    end: str  # "09:00"; not after ``start``: the next day's early morning

    @property
    def days_list(self) -> list[str]:
        """``mon-fri`` as the days' names, Monday first (none for holidays only)."""
        return [DAY_NAMES[d] for d in sorted(parse_days(self.days))] if self.days else []


class SpanDraft:
    def __init__(self) -> None:
        self.spans: list[DraftSpan] = []

    def add(self, days: Sequence[str], holidays: bool, start: str, end: str) -> DraftSpan:
        """The span checked with those already added (``Missing`` or ``InvalidInput``)."""
        if not days and not holidays:
            raise Missing("console.span_days_needed")
        if not start.strip() or not end.strip():
            raise Missing("console.span_times_needed")
        span = parse_span({"from": start.strip(), "to": end.strip()})
        chosen = days_text(frozenset(DAY_NAMES.index(d) for d in days)) if days else ""
        new = DraftSpan(chosen, holidays, hhmm(span.start), hhmm(span.end))
        from_params(params([*self.spans, new]))  # the whole draft, as the core will check it
        self.spans.append(new)
        return new

    def replace(
        self, i: int, days: Sequence[str], holidays: bool, start: str, end: str
    ) -> DraftSpan:
        """The span at ``i`` changed in place, checked with the others; as it was when refused."""
        old = self.spans.pop(i)
        try:
            new = self.add(days, holidays, start, end)
        except Exception:
            self.spans.insert(i, old)
            raise
        self.spans.insert(i, self.spans.pop())
        return new

    def remove(self, i: int) -> DraftSpan | None:
        return self.spans.pop(i) if 0 <= i < len(self.spans) else None

    def clear(self) -> None:
        self.spans.clear()

    def load(self, schedule: dict[str, Any]) -> None:
        """A saved schedule's spans (``schedule.list``'s form), to be changed."""
        self.spans = [
            DraftSpan(h["days"], False, p["from"], p["to"])
            for h in schedule.get("hours") or []
            for p in h.get("spans") or []
        ] + [DraftSpan("", True, p["from"], p["to"]) for p in schedule.get("holiday_hours") or []]


def params(spans: Sequence[DraftSpan]) -> dict[str, Any]:
    """``schedule.add``'s hours: the spans on the same days as one set, in the order added."""
    sets: dict[str, list[str]] = {}
    holiday: list[str] = []
    for s in spans:
        text = f"{s.start}-{s.end}"
        if s.days:
            sets.setdefault(s.days, []).append(text)
        if s.holidays:
            holiday.append(text)
    return {
        "hours": [{"days": d, "spans": v} for d, v in sets.items()],
        "holidays": holiday or "closed",
    }


def day_words(days: str, t: Callable[..., str]) -> str:
    """``mon-fri`` as 周一-周五 on a Chinese screen."""
    for d in DAY_NAMES:
        days = days.replace(d, t(f"day.{d}"))
    return days


def span_words(start: str, end: str, t: Callable[..., str]) -> str:
    """``06:00-09:00``; a span past midnight says that its end is the next day's."""
    if end <= start and end != "24:00":
        return t("console.span_next_day", start=start, end=end)
    return f"{start}-{end}"


def draft_days(s: DraftSpan, t: Callable[..., str]) -> str:
    if not s.days:
        return t("console.span_holidays")
    days = day_words(s.days, t)
    return t("console.span_days_holidays", days=days) if s.holidays else days


def said(key: str, s: DraftSpan, t: Callable[..., str]) -> str:
    """A text about one span (``console.span_added``...) with its days and its times."""
    return t(key, days=draft_days(s, t), span=span_words(s.start, s.end, t))


def said2(key: str, old: DraftSpan, new: DraftSpan, t: Callable[..., str]) -> str:
    """A text about a span changed: what it was and what it is now."""
    was = f"{draft_days(old, t)} {span_words(old.start, old.end, t)}"
    return t(key, was=was, days=draft_days(new, t), span=span_words(new.start, new.end, t))


def draft_rows(spans: Sequence[DraftSpan], t: Callable[..., str]) -> list[str]:
    return [said("console.span_row", s, t) for s in spans]


def schedule_lines(s: dict[str, Any], t: Callable[..., str]) -> list[str]:
    """A schedule from ``schedule.list`` line by line: each set of days with its spans, then
    the holidays."""
    lines = [
        t(
            "console.schedule_detail_set",
            days=day_words(h["days"], t),
            spans=", ".join(span_words(p["from"], p["to"], t) for p in h.get("spans") or []),
        )
        for h in s.get("hours") or []
    ]
    holiday = s.get("holiday_hours") or []
    if holiday:
        spans = ", ".join(span_words(p["from"], p["to"], t) for p in holiday)
        lines.append(t("console.schedule_detail_holidays", spans=spans))
    else:
        lines.append(t("console.schedule_detail_closed"))
    return lines


def schedule_row(s: dict[str, Any], t: Callable[..., str]) -> str:
    """One row of the schedule list: its name and every span ("保洁: 周一-周五 07:00-09:00,
    17:00-20:00；节假日关闭"), the sets of days one after the other."""
    hours = "; ".join(
        f"{day_words(h['days'], t)} "
        + ", ".join(span_words(p["from"], p["to"], t) for p in h.get("spans") or [])
        for h in s.get("hours") or []
    )
    holiday = s.get("holiday_hours") or []
    if holiday:
        spans = ", ".join(span_words(p["from"], p["to"], t) for p in holiday)
        return t("console.schedule_row_spans", name=s["name"], hours=hours or "-", spans=spans)
    return t(
        "console.schedule_row",
        name=s["name"],
        hours=hours or t("console.never"),
        holidays=t(f"console.holidays_{s.get('holidays', 'closed')}"),
    )
