"""Every refusal the core can send to the console and the import list has a Chinese and an
English text on the screens. The messages are read from the core's source (each string given
to InvalidInput, a sheet row's error, or a required-value check), so a message added to the core
without a translation fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.ui.screen_text import language
from ui.i18n_core import FALLBACK, core_text, translate

ROOT = Path(__file__).resolve().parents[2]
# What the console's requests (person, card, PIN, pass, import, notice, face enrolment) run.
MODULES = (
    "compound/domain/model.py",
    "compound/domain/validation.py",
    "compound/domain/csv_rows.py",
    "compound/domain/register_sheet.py",
    "compound/store/people.py",
    "compound/store/credentials.py",
    "compound/store/register_import.py",
    "compound/services/import_parts.py",
    "compound/services/import_api.py",
    "compound/services/notices.py",
    "compound/services/pin_suggest.py",
    "compound/services/face_enrol.py",
    "compound/services/site_plan_api.py",
    "compound/services/remote_open.py",
    "compound/services/lists_api.py",
)
# Only for the door-file sheet and the box's own commands, never sent to the console.
NOT_FOR_SCREENS = (
    "door",
    "station",
    "lock type",
    "held-open",
    "serves",
    "every door",
    "remote_unlock",
    "number of seconds",
)
# Sample values of the words a message is built from (any other value: a number or a repr).
SAMPLES = {
    "_WHAT[key]": "card number",
    "what": "PIN",
    "c.key": "name",
    "also": " (or 姓名)",
    "key": "name",
    "len(fields)": "6",
    "len(keys)": "5",
}
CARRIERS = {"InvalidInput", "RowError", "fail", "need"}


def _sample(node: ast.expr) -> str | None:
    """The message a string or f-string makes, each value replaced by a sample value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            elif isinstance(part, ast.FormattedValue):
                said = SAMPLES.get(ast.unparse(part.value))
                out.append(said or ("'x7'" if part.conversion == ord("r") else "7"))
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sample(node.left), _sample(node.right)
        return None if left is None or right is None else left + right
    return None


def core_messages() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for rel in MODULES:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):  # a sheet line's own problem: {"": message}
                for key, value in zip(node.keys, node.values, strict=True):
                    text = _sample(value) if value is not None else None
                    if isinstance(key, ast.Constant) and key.value == "" and text:
                        found.append((rel, text))
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in CARRIERS:
                continue
            for arg in node.args:
                text = _sample(arg)
                if text and " " in text and not text.isupper():
                    found.append((rel, text))
    return [(rel, m) for rel, m in found if not any(w in m for w in NOT_FOR_SCREENS)]


def test_the_core_sends_messages_from_these_modules() -> None:
    """The reading above finds the messages (it would pass vacuously if it found none)."""
    messages = [m for _, m in core_messages()]
    assert len(messages) > 40
    assert any(m.startswith("malformed card number") for m in messages)


@pytest.mark.parametrize(("module", "message"), core_messages())
def test_each_core_message_reads_in_both_languages(module: str, message: str) -> None:
    zh, en = translate(message, "zh"), translate(message, "en")
    assert zh is not None and en is not None, f"{module}: no translation for {message!r}"
    assert language(zh, "zh", ["x7"]) is None, zh
    assert language(en, "en", []) is None, en


def test_a_message_not_in_the_table_is_said_plainly_in_the_screens_language() -> None:
    from ui.i18n import Strings

    zh = Strings("zh")
    assert core_text("something the core never said before", zh) == FALLBACK[0]
    assert core_text("something the core never said before", lang="en") == FALLBACK[1]
    assert core_text("malformed card number '12ab': digits only, as the reader prints", zh) == (
        "卡号“12ab”有误：只能是读卡器显示的数字"
    )
