"""Every reason the core can give for a refusal reads in both languages on the screens."""

from __future__ import annotations

import re

from compound.domain.access import Reason
from ui.i18n import Strings
from ui.i18n_core import reason_text

CJK = re.compile(r"[\u3400-\u9fff]")


def test_each_reason_has_a_chinese_and_an_english_text_of_its_own() -> None:
    zh, en = Strings("zh"), Strings("en")
    for r in Reason:
        if r is Reason.GRANTED:
            continue
        said_zh, said_en = reason_text(r.value, zh), reason_text(r.value, en)
        assert CJK.search(said_zh), r
        assert said_en.strip() and not CJK.search(said_en), r
        assert said_en != en("reason.other"), f"{r.value!r} has no text of its own"


def test_a_reason_the_screens_do_not_know_reads_as_other() -> None:
    for lang in ("zh", "en"):
        t = Strings(lang)
        assert reason_text("a reason from a newer core", t) == t("reason.other")
        assert reason_text("lockdown", t) == t("reason.lockdown")
