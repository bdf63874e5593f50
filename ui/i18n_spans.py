"""Texts of the console's schedule editor (several spans a day), in Chinese and English, and the
core's refusals of a schedule's spans (``compound.domain.schedule_hours``), merged into the
console's texts and the core's message table (``ui.i18n_console``, ``ui.i18n_core``).

A schedule is 时段 on these screens (the tab is 门禁时段); one of its spans of time is 时间段."""

from __future__ import annotations

from ui.i18n_patterns import V

SPAN_STRINGS: dict[str, tuple[str, str]] = {
    "console.sched_new": ("新建时段", "New schedule"),
    "console.sched_editor": (
        "新建时段: 每天最多 {n} 个时间段",
        "New schedule: up to {n} spans a day",
    ),
    "console.sched_edit": ("修改时段", "Change hours"),
    "console.sched_editing": ("修改“{name}”的时间段", "Hours of “{name}”"),
    "console.sched_changed": ("时段“{name}”的时间段已更新", "Hours of “{name}” changed"),
    "console.sched_save": ("保存", "Save"),
    "console.span_from": ("开始", "From"),
    "console.span_to": ("结束", "To"),
    "console.span_add": ("加入", "Add span"),
    "console.span_holidays": ("节假日", "Holidays"),
    "console.span_days_holidays": ("{days}及节假日", "{days} & holidays"),
    "console.span_remove": ("删除", "Remove"),
    "console.span_row": ("{days}  {span}", "{days}  {span}"),
    "console.span_next_day": ("{start}-次日{end}", "{start}-{end} next day"),
    "console.span_none": (
        "还没有时间段: 选星期, 填时间, 点“加入”",
        "No spans yet: days, times, Add",
    ),
    "console.span_days_needed": ("请先选择星期或节假日", "Choose the days or holidays first"),
    "console.span_times_needed": ("请填写开始和结束时间", "Give the start and the end"),
    "console.spans_needed": ("请至少加入一个时间段", "Add at least one span"),
    "console.span_added": ("已加入 {days} {span}", "Added {days} {span}"),
    "console.span_removed": ("已删除 {days} {span}", "Removed {days} {span}"),
    "console.schedule_row_spans": (
        "{name}: {hours}；节假日 {spans}",
        "{name}: {hours}; holidays {spans}",
    ),
    "console.span_replace": ("替换", "Replace"),
    "console.span_changed": ("已将 {was} 改为 {days} {span}", "Changed {was} to {days} {span}"),
    "console.schedule_detail_set": ("{days}: {spans}", "{days}: {spans}"),
    "console.schedule_detail_holidays": ("节假日: {spans}", "Holidays: {spans}"),
    "console.schedule_detail_closed": ("节假日关闭", "Closed on holidays"),
}

# The day words inside the core's messages, and how each screen says them.
DAYS = {
    "Monday": "周一",
    "Tuesday": "周二",
    "Wednesday": "周三",
    "Thursday": "周四",
    "Friday": "周五",
    "Saturday": "周六",
    "Sunday": "周日",
    "holidays": "节假日",
}

# (pattern of the core's message, Chinese, English), as in ``ui.i18n_core.MESSAGES``.
SPAN_MESSAGES: list[tuple[str, str, str]] = [
    (
        rf"malformed span {V}: write HH:MM-HH:MM, e\.g\. 06:00-09:00",
        "时间段“{v}”有误：请写成 HH:MM-HH:MM，如 06:00-09:00",
        "Span “{v}” is wrong: write HH:MM-HH:MM, e.g. 06:00-09:00",
    ),
    (
        r"the span (?P<v>\S+) is empty: its start and end are the same time"
        r" \(00:00-24:00 is the whole day\)",
        "时间段 {v} 为空：开始和结束是同一时间（全天请写 00:00-24:00）",
        "The span {v} is empty: it starts and ends at the same time (all day is 00:00-24:00)",
    ),
    (
        r"the span (?P<v>\S+) starts at 24:00: start it at 00:00",
        "时间段 {v} 从 24:00 开始：请改为 00:00",
        "The span {v} starts at 24:00: start it at 00:00",
    ),
    (
        r"a span runs from 00:00-23:59 to 00:01-24:00",
        "时间段须从 00:00-23:59 开始，到 00:01-24:00 结束",
        "A span starts between 00:00 and 23:59 and ends between 00:01 and 24:00",
    ),
    (
        r"each set of hours needs at least one day",
        "每组时间段至少要选一天",
        "Each set of spans needs at least one day",
    ),
    (
        rf"no hours given for {V}: add a span such as 06:00-09:00",
        "“{v}”没有时间段：请加入一段，如 06:00-09:00",
        "No spans for “{v}”: add one, such as 06:00-09:00",
    ),
    (
        r"a schedule needs at least one span of hours",
        "时段至少需要一个时间段",
        "A schedule needs at least one span",
    ),
    (
        r"holidays open means the week's hours, but the sets of days have different hours:"
        r" give the holiday spans themselves",
        "各组星期的时间段不同，无法照常开放：请单独设置节假日的时间段",
        "The days have different spans, so “open on holidays” is unclear: give holiday spans",
    ),
    (
        rf"unknown holiday rule {V}: use closed or open, or give holiday spans such as"
        r" 09:00-12:00",
        "节假日规则“{v}”无效：应为关闭、开放或节假日时间段（如 09:00-12:00）",
        "Unknown holiday rule “{v}”: closed, open or holiday spans such as 09:00-12:00",
    ),
    (
        r"hours is a list of .*",
        "时间段格式有误",
        "The spans are not in the expected form",
    ),
]


def _per_day() -> list[tuple[str, str, str]]:
    """The messages that name a day, one entry per day (the day said in the screen's
    language, not the core's English)."""
    out = []
    for day, zh in DAYS.items():
        en = "Holidays" if day == "holidays" else day
        on_en = "On holidays" if day == "holidays" else f"On {day}"
        out += [
            (
                rf"{day} is in two sets of days: give each day one set of hours",
                f"{zh}被选在两组星期里：每天只能有一组时间段",
                f"{en} is in two sets of days: give each day one set of spans",
            ),
            (
                rf"{day} has (?P<n>\d+) spans; a day has at most (?P<m>\d+)",
                zh + "有 {n} 个时间段，每天最多 {m} 个",
                en + ": {n} spans, but a day has at most {m}",
            ),
            (
                rf"on {day}, (?P<a>\S+) and (?P<b>\S+) overlap: join them into one span or move"
                " one",
                zh + "的时间段 {a} 和 {b} 重叠：请合并为一段或调整其中一段",
                on_en + ", {a} and {b} overlap: join them into one span or move one",
            ),
        ]
    return out


SPAN_MESSAGES += _per_day()
