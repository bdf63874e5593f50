"""Schedules and holiday lists as the property office writes them.

A schedule is written as days and hours (``--days mon-fri --from 07:00 --to 18:00``) and kept as
``TimeWindow``s; on a public holiday it is either closed or open during the same hours, whatever
the weekday. Hours that run past midnight (22:00 to 06:00) become two windows: the evening on
the given days and the early morning on the day after each. Several spans a day, and other
hours for other days, are ``compound.domain.schedule_hours``: the form the CLI, the API and the
console write; ``hours`` here is its one-span case.

The holiday list is the official one (法定节假日) as a CSV file: ``date,name[,workday]``, UTF-8 or
GBK, with an optional header line. ``workday=1`` marks a Saturday or Sunday that is worked
(调休): on that day a schedule's hours for every working day (Monday to Friday) apply as well as
the hours of its own weekday (see ``Schedule.allows``). The whole file is checked before any of it
is used, and every mistake is reported with its line number.

Pure: bytes and strings in, values out.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from compound.domain.model import InvalidInput, TimeWindow, parse_hhmm

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))
_FULL_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOLIDAY_MODES = ("closed", "open")
MAX_HOLIDAY_NAME = 50
# At most this many mistakes are quoted from a holiday file; the rest are counted.
MAX_REPORTED = 5


def parse_days(text: str) -> frozenset[int]:
    """``mon-fri``, ``mon,wed,fri``, ``sat-sun``, ``mon-wed,sat``; ranges may wrap: ``fri-mon``."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        ends = part.split("-")
        if len(ends) > 2 or not all(e in DAY_NAMES for e in ends):
            raise InvalidInput(
                f"malformed days {text!r}: write mon-fri, sat-sun or a list such as mon,wed,fri"
            )
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return frozenset(days)


def days_text(days: frozenset[int]) -> str:
    """The shortest way to write a set of weekdays: ``mon-fri``, ``mon,wed,fri-sun``."""
    parts: list[str] = []
    run: list[int] = []
    for d in [*sorted(days), None]:
        if d is not None and run and d == run[-1] + 1:
            run.append(d)
            continue
        if run:
            ends = [run[0]] if len(run) == 1 else [run[0], run[-1]]
            parts.append("-".join(DAY_NAMES[i] for i in ends))
        run = [] if d is None else [d]
    return ",".join(parts)


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours(
    days: str, start: str, end: str, holidays: str = "closed"
) -> tuple[list[TimeWindow], list[TimeWindow]]:
    """The weekday windows and holiday windows of "these days, from ``start`` to ``end``"."""
    on = parse_days(days)
    first, last = parse_hhmm(start), parse_hhmm(end)
    if holidays not in HOLIDAY_MODES:
        raise InvalidInput(f"unknown holiday rule {holidays!r}: use closed or open")
    if first == last or first == 1440:
        raise InvalidInput("a schedule needs --from before 24:00 and --to at another time")
    if first < last:
        windows = [TimeWindow(on, first, last)]
        spans = [(first, last)]
    else:  # past midnight: the evening, then the early morning of the next day
        windows = [TimeWindow(on, first, 1440)]
        spans = [(first, 1440)]
        if last > 0:
            windows.append(TimeWindow(frozenset((d + 1) % 7 for d in on), 0, last))
            spans.append((0, last))
    holiday_windows = [TimeWindow(ALL_DAYS, a, b) for a, b in spans] if holidays == "open" else []
    return windows, holiday_windows


def schedule_name(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 40:
        raise InvalidInput("a schedule needs a name of 1 to 40 characters")
    if value.lower() == "none":
        raise InvalidInput("'none' means no schedule; choose another name")
    return value


# -- the holiday list ------------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayRow:
    line: int
    day: date
    name: str
    workday: bool = False


_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def holiday_date(text: str) -> date:
    """``2026-10-01``; also ``2026/10/1``, as a spreadsheet saves it."""
    m = _DATE_RE.match(text.strip())
    try:
        if m is None:
            raise ValueError
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise InvalidInput(f"malformed date {text.strip()!r}: write YYYY-MM-DD") from None


def holiday_name(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_HOLIDAY_NAME:
        raise InvalidInput(f"a holiday name is at most {MAX_HOLIDAY_NAME} characters")
    return text


def check_workday(day: date) -> None:
    if day.weekday() < 5:
        raise InvalidInput(
            f"{day} is a {_FULL_NAMES[day.weekday()]}: only a Saturday or Sunday can be a worked"
            " weekend day (调休)"
        )


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 (with or without a byte-order mark), else GBK as Chinese Windows saves it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{source} is neither UTF-8 nor GBK text; nothing imported")


def read_holiday_csv(data: bytes, source: str = "the file") -> list[HolidayRow]:
    """Every row of a holiday file, or ``InvalidInput`` naming the lines that are wrong."""
    text = decode_text(data, source)
    rows: list[HolidayRow] = []
    errors: list[str] = []
    seen: dict[date, int] = {}
    reader = csv.reader(io.StringIO(text))
    first = True
    try:
        for cells in reader:
            line = reader.line_num
            cells = [c.strip() for c in cells]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if first and cells[0].lower() in ("date", "日期"):
                first = False
                continue
            first = False
            try:
                rows.append(_row(line, cells, seen))
            except InvalidInput as e:
                errors.append(f"line {line}: {e}")
    except csv.Error as e:
        errors.append(f"line {reader.line_num}: {e}")
    if errors:
        more = len(errors) - MAX_REPORTED
        shown = "; ".join(errors[:MAX_REPORTED]) + (f"; and {more} more" if more > 0 else "")
        raise InvalidInput(f"{source}: {shown}; nothing imported")
    if not rows:
        raise InvalidInput(f"{source}: no holidays in it (columns date,name[,workday])")
    return rows


def _row(line: int, cells: list[str], seen: dict[date, int]) -> HolidayRow:
    if len(cells) > 3 and any(cells[3:]):
        raise InvalidInput("expected date,name[,workday]")
    day = holiday_date(cells[0])
    name = holiday_name(cells[1] if len(cells) > 1 else "")
    flag = cells[2] if len(cells) > 2 else ""
    if flag not in ("", "0", "1"):
        raise InvalidInput(f"workday is 1 (a weekend day that is worked) or 0, not {flag!r}")
    workday = flag == "1"
    if workday:
        check_workday(day)
    if day in seen:
        raise InvalidInput(f"{day} is already given on line {seen[day]}")
    seen[day] = line
    return HolidayRow(line, day, name, workday)
