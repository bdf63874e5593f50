"""More of the core's refusals for ``ui.i18n_core``: the register's own checks on what a
manager types (a person's name on one line, a birth year, a unit's occupants, a tenant's
origin, visit notes, a visitor's pass, a door's name). Each a pattern of the core's English
words with the values it carries, and the Chinese and English a person at a screen reads."""

from __future__ import annotations

from ui.i18n_patterns import M, N, V

REGISTER_CHECKS: list[tuple[str, str, str]] = [
    (
        rf"a name is one line of letters, not {V}",
        "姓名须为一行文字，不能含换行",
        "A name is one line of text, without line breaks",
    ),
    (
        rf"a tenant's origin is at most {M} characters, not {N}",
        "户籍地最多 {m} 个字，现为 {n} 个字",
        "The place of origin is at most {m} characters, not {n}",
    ),
    (
        rf"visit notes are at most {M} characters, not {N}",
        "走访记录最多 {m} 个字，现为 {n} 个字",
        "Visit notes are at most {m} characters, not {n}",
    ),
    (
        rf"a birth year is from 1900 to 2099 \(e\.g\. 1948\), not {V}",
        "出生年份“{v}”有误：应在 1900 至 2099 之间，如 1948",
        "Birth year “{v}” is wrong: from 1900 to 2099, e.g. 1948",
    ),
    (
        rf"registered occupants are 0 to 99 people, not {V}",
        "登记人数“{v}”有误：应为 0 至 99 人",
        "Registered occupants “{v}” is wrong: 0 to 99 people",
    ),
    (
        r"a pass needs a start and an end in hours \(e\.g\. 4 or 0\.5\)",
        "通行证须有开始时间和有效小时数（如 4 或 0.5）",
        "A pass needs a start and its length in hours (e.g. 4 or 0.5)",
    ),
    (
        rf"a door's name is one line of at most 64 characters, not {V}",
        "门的名称须为一行，最多 64 个字",
        "A door's name is one line of at most 64 characters",
    ),
]
