"""A card swiped on the console's USB reader while the on-screen pinyin keyboard is open (the
manager typing a new resident's name), in a real Kivy window under Xvfb against the real core on
a real Mosquitto. The reader is a keyboard device: its digits and Enter are sent through Kivy's
window as the reader's keyboard sends them. The number goes to the card field, never into the
name; the manager is told, in the screen's language; the card is then issued from there."""

from __future__ import annotations

import pytest

from devkit import card_wedge
from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import live_cards, on_console, pick_person
from tests.ui.screen_text import language

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def typed_slowly(driver: Driver, text: str) -> None:
    """A person at the real keyboard: each key a moment after the last."""
    for ch in text:
        card_wedge.key(driver.window, ch)
        driver.pump(0.15)


def test_a_card_swiped_while_typing_a_name_goes_to_the_card_field(
    site: Site, driver: Driver
) -> None:
    from ui.i18n import Strings
    from ui.screens import pinyin_keyboard

    with on_console(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site), what="console loaded")
        name = root.ids.f_name
        driver.tap(name)
        driver.tap(root.ids.f_name_kbd)
        kb = root.keyboard
        driver.until(lambda: pinyin_keyboard._index is not None, timeout=60, what="table built")
        for ch in "wang":
            driver.tap(kb.keys[ch])
        driver.tap(kb.cands[[b.text for b in kb.cands].index("王")])
        assert name.text == "王"
        for ch in "xia":  # the next syllable half typed when the card comes
            driver.tap(kb.keys[ch])

        driver.swipe(";0012345678?")
        card = root.ids.c_card
        driver.until(lambda: card.text == "0012345678", what="the number in the card field")
        assert name.text == "王" and kb.input.letters == "xia"  # the name and its syllable kept
        assert kb in driver.window.children, "the keyboard stays open for the name"
        assert "0012345678" in vm.note and language(vm.note, "zh", ["0012345678"]) is None

        # The real keyboard types pinyin too; slow digits are a person's, and a name has none.
        typed_slowly(driver, "o123")
        driver.until(lambda: kb.input.letters == "xiao", what="a letter from the real keyboard")
        assert name.text == "王" and card.text == "0012345678"
        driver.tap(kb.cands[[b.text for b in kb.cands].index("小")])
        assert name.text == "王小"

        driver.tap(kb.done)
        driver.until(lambda: kb not in driver.window.children, what="keyboard closed")
        driver.tap(root.ids.tab_credentials)
        pick_person(driver, root, "李娜", "李娜")
        assert card.text == "0012345678"  # still waiting there
        driver.tap(root.ids.issue_card)
        driver.until(lambda: "12345678" in live_cards(site, "李娜"), what="card issued")
        assert root.ids.f_name.text == "王小"


def test_a_card_swiped_into_the_name_field_goes_to_the_card_field(
    site: Site, driver: Driver
) -> None:
    """The name field has the focus (typed at the real keyboard, no on-screen keyboard): the
    reader's digits do not go into the name either."""
    from ui.i18n import Strings

    with on_console(site, driver, Strings("en")) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site), what="console loaded")
        name = root.ids.f_name
        driver.tap(name)
        typed_slowly(driver, "Li Na")
        assert name.text == "Li Na" and name.focus
        driver.swipe("0012345679")
        driver.until(lambda: root.ids.c_card.text == "0012345679", what="the card field")
        assert name.text == "Li Na"
        assert "0012345679" in vm.note and language(vm.note, "en", []) is None
        name.focus = True  # Enter took the focus, as it does in any one-line field
        driver.until(lambda: name.focus, what="the name field focused again")
        typed_slowly(driver, "2")  # a person's digit: a name has none
        typed_slowly(driver, "h")  # the fence: a later key that does arrive
        driver.until(lambda: name.text == "Li Nah", what="the next letter")
