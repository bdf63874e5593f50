"""The console's shared choice texts: a search result's row, and a dropdown's texts where two
alike are numbered apart (two people or two cards of one name)."""

from __future__ import annotations

from ui.i18n import Strings
from ui.viewmodels.people import numbered, person_row


def test_alike_texts_are_numbered_apart_in_order() -> None:
    got = numbered([("张伟", 7), ("李娜", 8), ("张伟", 9), ("张伟", 10)])
    assert got == {"张伟": 7, "李娜": 8, "张伟 (2)": 9, "张伟 (3)": 10}
    assert list(got) == ["张伟", "李娜", "张伟 (2)", "张伟 (3)"]


def test_a_result_row_names_the_person_unit_and_role_in_the_language() -> None:
    p = {"name": "王小明", "unit": "3-2-1501", "role": "owner"}
    assert person_row(Strings("zh"), p) == "王小明  3-2-1501  业主"
    assert person_row(Strings("en"), p).startswith("王小明  3-2-1501  ")
    assert "业主" not in person_row(Strings("en"), p)
