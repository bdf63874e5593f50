"""Every dropdown chooser is a ``Choices`` (``ui/choices.py``): setting its values makes no
button; opening it by touch in a real window makes one per value, once per change of the
values; what it shows follows the values at once, as Kivy's Spinner's does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ui.conftest import Driver

pytestmark = [pytest.mark.ui]

UI = Path(__file__).resolve().parents[2] / "ui"
BARE_SPINNER = re.compile(r"^\s*Spinner\s*:|\bSpinner\(|import Spinner\b")


def test_no_screen_makes_kivy_s_spinner_itself() -> None:
    found = [
        f"{path.relative_to(UI.parent)}:{n}"
        for path in sorted([*UI.rglob("*.py"), *UI.rglob("*.kv")])
        if path.name != "choices.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BARE_SPINNER.search(line)
    ]
    assert found == [], f"use ui.choices.Choices: {found}"


def test_the_list_of_choices_is_made_when_it_opens(driver: Driver) -> None:
    from kivy.uix.floatlayout import FloatLayout

    from ui.choices import Choices

    doors = [f"{b}号楼{e}单元" for b in range(1, 80) for e in (1, 2, 3)]
    root = FloatLayout()
    pick = Choices(text="-", size_hint=(None, None), size=(300, 56), pos=(20, 500))
    pick.text_autoupdate = True  # no screen sets it; Kivy's behaviour for it is kept
    root.add_widget(pick)
    driver.mount(root, (1024, 600))
    made = pick._dropdown.container.children
    pick.values = ["全部门", *doors]
    assert len(made) == 0, "no button made while the list is closed"
    assert pick.text == "全部门", "the chooser shows the first value at once (text_autoupdate)"
    pick.values = ["全部门", *doors[:10]]
    assert len(made) == 0
    driver.choose(pick, doors[3])
    assert [b.text for b in pick.choice_buttons()] == ["全部门", *doors[:10]]
    assert pick.text == doors[3]
    buttons = list(made)
    driver.tap(pick)
    driver.until(lambda: pick.is_open, what="the choices open again")
    assert list(made) == buttons, "the same values: the same buttons, not made again"
    driver.tap(pick)
    driver.until(lambda: pick._dropdown.parent is None, what="the choices closed")
    pick.values = doors[20:25]
    assert pick.text == doors[20], "a chosen value gone: the first of the new ones"
    driver.choose(pick, doors[24])
    assert [b.text for b in pick.choice_buttons()] == doors[20:25]
