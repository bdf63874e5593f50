"""Every alarm kind the core raises by name has a text on the wall in Chinese and in English
(``ui.i18n``: ``alarm.<kind>``); without one, a Chinese wall shows the kind's English key.

The kinds are read from the code: the literal first argument of every ``raise_alarm`` call under
``compound/``, and the door events that are alarms in themselves (``door_feed.ALARM_EVENTS``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from compound.services.door_feed import ALARM_EVENTS
from ui.i18n import STRINGS

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def raised_by_name() -> set[str]:
    kinds = set()
    for path in (ROOT / "compound").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "raise_alarm"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                kinds.add(node.args[0].value)
    return kinds


def test_every_alarm_kind_has_a_chinese_and_an_english_text() -> None:
    kinds = raised_by_name() | set(ALARM_EVENTS)
    assert {"flood", "event_flood", "forced_open", "quarantine"} <= kinds  # the scan works
    missing = sorted(k for k in kinds if f"alarm.{k}" not in STRINGS)
    assert missing == [], f"alarm kinds with no text on the wall: {missing}"
    for k in kinds:
        zh, en = STRINGS[f"alarm.{k}"]
        assert CJK.search(zh) and en and not CJK.search(en), k
