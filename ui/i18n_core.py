"""The core's refusals and errors put into the screen's language.

The core answers in English words meant for its log and its command line ("malformed card
number '12ab': digits only, as the reader prints"). A screen shows each of them through
``core_text``: a table of the core's messages, each a pattern with the values it carries, and
its Chinese and English wording for a person at the screen (no command-line flags). A message
not in the table is shown as a plain "not done, check what was entered" in the screen's
language and logged as it came (tests/ui/test_core_messages.py checks the table covers every
message the console's requests can bring back).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from compound.domain.register_sheet import PEOPLE_COLUMNS
from ui.i18n_console import CONSOLE_MESSAGES
from ui.i18n_core_refusals import REFUSALS
from ui.i18n_core_register import REGISTER_CHECKS
from ui.i18n_core_table import CORE_MESSAGES

log = logging.getLogger(__name__)

# The console's schedules, holidays, stations and households have their own part.
MESSAGES = [*CORE_MESSAGES, *CONSOLE_MESSAGES, *REFUSALS, *REGISTER_CHECKS]
_TABLE = [(re.compile(p + r"\Z", re.DOTALL), zh, en) for p, zh, en in MESSAGES]
# Words the core puts inside a message, for the Chinese text.
WORDS = {"ID number": "证件号", "card number": "卡号", "PIN": "密码"}
FALLBACK = ("操作未完成，请核对输入后重试", "Not done: check what was entered and try again")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def translate(message: str, lang: str) -> str | None:
    """The core's message in ``lang`` ("zh" or "en"), or None when it is not in the table."""
    text = message.strip()
    for pattern, zh, en in _TABLE:
        m = pattern.match(text)
        if m:
            values = {k: _unquote(v or "") for k, v in m.groupdict().items()}
            if lang == "zh":
                values = {k: WORDS.get(v, v) for k, v in values.items()}
                if "k" in values:
                    values["k"] = column_name(values["k"], "zh")
                if "a" in values and not values["a"]:
                    values["a"] = values.get("k", "")
            return (zh if lang == "zh" else en).format(**values)
    return None


# Deny reasons with no text in ui.i18n yet.
EXTRA_REASONS = {"system busy": ("系统繁忙，请再试一次", "the system is busy, try again")}


def reason_text(reason: str, t: Callable[..., str]) -> str:
    """A deny reason the core sends (``compound.domain.access.Reason``) in the screen's
    language; one the screens do not know reads as "other reason"."""
    key = f"reason.{reason}"
    said = t(key)
    if said != key:
        return said
    if reason in EXTRA_REASONS:
        return EXTRA_REASONS[reason][0 if getattr(t, "lang", "zh") == "zh" else 1]
    return t("reason.other")


def column_name(column: str, lang: str) -> str:
    """A register sheet's column as the screen names it: its Chinese name on a Chinese screen
    (the sheet may use either), its key on an English one."""
    for c in PEOPLE_COLUMNS:
        if column == c.key or column in c.aliases:
            return c.aliases[0] if lang == "zh" and c.aliases else c.key
    return column


def core_text(message: str, t: Callable[..., str] | None = None, lang: str = "") -> str:
    """What a screen shows for the core's ``message``: from the table, or a plain sentence in
    the screen's language (the message as it came goes to the log). ``t`` is the screen's
    ``Strings`` (its ``lang`` is used)."""
    lang = lang or str(getattr(t, "lang", "zh"))
    found = translate(message, lang)
    if found is not None:
        return found
    log.info("core message with no translation: %s", message)
    return FALLBACK[0] if lang == "zh" else FALLBACK[1]
