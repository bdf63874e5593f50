"""Chinese names typed on the touchscreen with pinyin: the candidates are ranked for names
(surnames first), ü is typed as v, a syllable being typed offers what it begins; and in a real
window against the real core on a real Mosquitto the manager types 王小明 on the on-screen
keyboard by touch and registers him."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.conftest import Driver, Site, not_blank
from tests.ui.manager_console import on_console
from ui.viewmodels.pinyin_input import Index, PinyinInput, build_index, toneless


@pytest.fixture(scope="module")
def index() -> Iterator[Index]:
    yield build_index()


def test_candidates_are_ranked_for_names(index: Index) -> None:
    p = PinyinInput(lambda: index)
    for letters, first in (("wang", "王"), ("li", "李"), ("zhang", "张"), ("lv", "吕")):
        p.letters = letters
        assert p.candidates()[0] == first, (letters, p.candidates())
    p.letters = "xiao"
    assert "小" in p.candidates()
    p.letters = "zh"  # still being typed: the characters of zha, zhai, zhang, ...
    assert p.candidates() and all(ch in "".join(index["zha"]) for ch in p.candidates()[:3])
    assert toneless("nǚ") == "nv" and toneless("wáng") == "wang"


def test_typing_paging_and_picking() -> None:
    p = PinyinInput(lambda: {"ming": list("明名命鸣铭冥茗溟暝"), "mi": list("米")})
    for ch in "mi1ng":
        p.key(ch)  # a digit is not a letter: ignored
    assert p.letters == "ming" and p.candidates() == list("明名命鸣铭冥茗溟")
    p.next_page()
    assert p.candidates() == ["暝"]
    p.next_page()  # nothing after the last page
    assert p.page == 1
    p.prev_page()
    assert p.pick(1) == "名" and p.letters == ""
    assert not p.backspace()  # no letters: the field's character goes instead
    assert PinyinInput(lambda: None).candidates() == []  # the table not built yet


@pytest.mark.ui
@pytest.mark.integration
def test_manager_types_a_chinese_name_on_the_screen_keyboard(site: Site, driver: Driver) -> None:
    from ui.i18n import Strings
    from ui.screens import pinyin_keyboard

    with on_console(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        driver.tap(root.ids.f_name_kbd)
        kb = root.keyboard
        driver.until(lambda: pinyin_keyboard._index is not None, timeout=60, what="table built")
        for syllable, char in (("wang", "王"), ("xiao", "小"), ("ming", "明")):
            for ch in syllable:
                driver.tap(kb.keys[ch])
            shown = [b.text for b in kb.cands]
            assert char in shown, (syllable, shown)
            driver.tap(kb.cands[shown.index(char)])
        assert root.ids.f_name.text == "王小明"
        driver.tap(kb.keys["x"])
        driver.tap(kb.back)  # takes the letter back, not the 明
        driver.tap(kb.back)  # now the 明
        assert root.ids.f_name.text == "王小"
        driver.tap(kb.keys["m"])
        driver.tap(kb.keys["i"])
        driver.tap(kb.keys["n"])
        driver.tap(kb.keys["g"])
        from ui.app import save_png

        shot = driver.shot("manager_pinyin_form.png").with_name("manager_pinyin.png")
        save_png(kb, str(shot))  # the keyboard is its own window layer
        not_blank(shot)
        driver.tap(kb.cands[[b.text for b in kb.cands].index("明")])
        driver.tap(kb.done)
        driver.pump(0.3)
        driver.type(root.ids.f_unit, "3-2-1502")
        driver.tap(root.ids.register)
        driver.until(lambda: vm.last_person_id is not None, what="registered")
        assert site.store.person(vm.last_person_id).name == "王小明"
