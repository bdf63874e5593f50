"""The credentials tab works on a person picked from the core's search, never on a typed id: in a
real Kivy window under Xvfb at 1280×800, against the real core on a real Mosquitto, driven by
touch. A revocation and a move-out each ask first, naming the person and unit."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import live_cards, on_console, pick_person
from ui.i18n import Strings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_credentials_are_issued_and_revoked_for_a_person_picked_by_touch(
    site: Site, driver: Driver
) -> None:
    with on_console(site, driver, Strings("zh")) as built:
        root = built.root
        driver.tap(root.ids.tab_credentials)
        assert not hasattr(root.ids, "c_person")  # no id field to type into
        # Nobody picked: nothing is issued, the manager is told to pick someone.
        driver.type(root.ids.c_card, "40001")
        driver.tap(root.ids.issue_card)
        driver.until(lambda: root.note_text == "请先查找并点选人员", what="asked to pick")
        # By pinyin initials; her unit is named where the credentials are issued.
        pick_person(driver, root, "ln", "李娜")
        assert root.ids.c_chosen.text == "李娜 · 3-2-1501"
        driver.type(root.ids.c_card, "40001")
        driver.tap(root.ids.issue_card)
        driver.until(lambda: "40001" in live_cards(site, "李娜"), what="card issued to 李娜")
        # Her live cards are offered for revocation (the seed's 10002 and the new one).
        spinner = root.ids.c_cred
        driver.until(lambda: len(spinner.values) == 2, what="her two cards offered")
        assert sorted(spinner.values) == ["门卡 …0001", "门卡 …0002"]
        driver.choose(spinner, "门卡 …0002")
        driver.tap(root.ids.revoke)
        confirm = root.creds.confirm
        assert confirm is not None
        assert confirm.question.text == "撤销 李娜（3-2-1501）的门卡 …0002？"
        driver.tap(confirm.yes)
        driver.until(lambda: live_cards(site, "李娜") == {"40001"}, what="10002 revoked")
        driver.until(
            lambda: root.note_text == "已撤销 李娜（3-2-1501）的门卡 …0002", what="the note"
        )
        driver.until(lambda: spinner.values == ["门卡 …0001"], what="only the live card left")
        assert live_cards(site, "张伟") == {"10001"}  # her housemate's card untouched
        # The face tab enrols the person picked, named there too.
        driver.tap(root.ids.tab_face)
        driver.until(lambda: root.tab == "face", what="the face tab")
        assert root.ids.e_chosen.text == "人脸录入: 李娜 · 3-2-1501"


def test_the_face_tab_asks_for_a_person_picked_first(site: Site, driver: Driver) -> None:
    with on_console(site, driver, Strings("zh")) as built:
        root = built.root
        driver.tap(root.ids.tab_face)
        driver.until(lambda: root.tab == "face", what="the face tab")
        assert root.ids.e_chosen.text == "请先在“凭证”页点选人员"
        driver.tap(root.ids.consent)
        driver.tap(root.ids.enrol)
        driver.until(lambda: root.note_text == "请先在“凭证”页点选人员", what="asked to pick")
        assert not root.note_ok


def test_a_move_out_names_the_person_and_unit_before_it_is_done(site: Site, driver: Driver) -> None:
    with on_console(site, driver, Strings("en")) as built:
        root = built.root
        pick_person(driver, root, "4521", "王芳")  # by the end of her ID number
        driver.tap(root.ids.move_out)
        confirm = root.creds.confirm
        assert confirm is not None
        want = "Move 王芳 (3-2-1502) out? Their cards, PINs, passes and face data are deleted."
        assert confirm.question.text == want
        driver.tap(confirm.no)  # changed her mind: nothing was sent
        driver.until(lambda: confirm.parent is None, what="the question closed")
        driver.tap(root.ids.move_out)
        confirm = root.creds.confirm
        driver.tap(confirm.yes)
        driver.until(lambda: not live_cards(site, "王芳"), what="moved out")
        driver.until(
            lambda: root.note_text == "王芳 (3-2-1502) moved out; face data deleted",
            what="the note naming her",
        )
        driver.until(lambda: root.creds.pick.chosen is None, what="nobody picked after")
        assert root.ids.c_chosen.text == "Pick a person on the right"
        assert live_cards(site, "张伟") == {"10001"}
