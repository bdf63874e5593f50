"""A USB card reader at the console, in a real Kivy window under Xvfb against the real core on
a real Mosquitto. Most readers are keyboard devices: they type the card number and Enter into
whatever has the keyboard focus. The key events are sent through Kivy's window as the reader's
keyboard would send them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import live_cards, on_console, pick_person

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_a_usb_reader_types_card_numbers_into_the_card_field(site: Site, driver: Driver) -> None:
    from ui.i18n import Strings

    with on_console(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site), what="console loaded")
        driver.tap(root.ids.tab_credentials)
        card: Any = root.ids.c_card
        driver.until(lambda: card.focus, what="the card field has the focus on the tab")
        pick_person(driver, root, "李娜", "李娜")
        driver.tap(card)
        driver.swipe(";0012345678?")  # a reader that sends the stripe's start and end marks
        driver.until(lambda: "12345678" in live_cards(site, "李娜"), what="card issued")
        driver.until(lambda: card.text == "", what="the field emptied for the next card")
        assert card.focus, "the focus stays for the next card"
        assert vm.note == "已发卡"
        driver.swipe("0012345679")  # the next card, straight away, no touch in between
        driver.until(lambda: "12345679" in live_cards(site, "李娜"), what="second card")
        assert card.focus
        driver.swipe("12ab")  # a misread: the core's refusal in the screen's language
        driver.until(lambda: "卡号" in vm.note and not vm.note_ok, what="refusal")
        assert card.text == "12ab" and card.focus  # kept, to be read again or corrected
        # The on-screen pinyin keyboard is for the name field only; it never opened here.
        from ui.screens.pinyin_keyboard import PinyinKeyboard

        assert not [w for w in driver.window.children if isinstance(w, PinyinKeyboard)]
        assert root.ids.f_name.text == ""
