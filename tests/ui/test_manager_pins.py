"""A PIN already in use is refused without saying whose it is, and the console proposes a free
one instead: in the viewmodel, on the core's store, and by touch in a real window against the
real core on a real Mosquitto."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.services.pin_suggest import in_use, suggest_pin
from compound.store.db import Store
from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console, pick_person
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.manager import ManagerVM


def test_a_taken_pin_is_answered_with_a_proposal_not_a_reason() -> None:
    proposals = iter(["482917", "620394", "735102"])

    def pin_set(p: dict[str, Any]) -> dict[str, Any]:
        if p["pin"] == "258369":
            raise InvalidInput("that PIN is already in use; choose another")
        return {"id": 1}

    gw = LocalGateway({"pin.set": pin_set, "pin.suggest": lambda p: {"pin": next(proposals)}})
    vm = ManagerVM(gw, Strings("en"))
    vm.set_pin("7", "258369")
    assert vm.suggested_pin == "482917" and not vm.note_ok
    assert vm.note.startswith("That PIN cannot be used.") and "482917" in vm.note
    assert "already in use" not in vm.note  # the core's English, and its hint, stay out
    vm.set_pin("7", vm.suggested_pin)
    assert vm.note == "PIN set" and vm.suggested_pin == ""
    vm.suggest_pin()  # asked for before typing one
    assert vm.suggested_pin == "620394" and vm.note_ok
    vm.t.toggle()
    vm.set_pin("7", "258369")
    assert vm.note.startswith("此密码不能使用")


def test_proposed_pins_are_valid_and_free(store: Store, clock: ManualClock) -> None:
    store.add_unit("1-1-101")
    pid = store.add_person("甲", "1-1-101", "owner")
    store.set_pin(pid, "258369")
    assert in_use(store, "258369") and not in_use(store, "482917")
    for _ in range(50):
        pin = suggest_pin(store)
        assert len(pin) == 6 and pin.isdigit() and not in_use(store, pin)


@pytest.mark.ui
@pytest.mark.integration
def test_manager_is_offered_a_free_pin_by_touch(site: Site, driver: Driver) -> None:

    zhang = site.store.query("SELECT id FROM people WHERE name = '张伟'")[0]["id"]
    li = site.store.query("SELECT id FROM people WHERE name = '李娜'")[0]["id"]
    with on_console(site, driver, Strings("zh")) as built:
        root = built.root
        driver.tap(root.ids.tab_credentials)
        pick_person(driver, root, "李娜", "李娜")
        driver.type(root.ids.c_pin, "258369")  # 张伟's PIN in the demo compound
        driver.tap(root.ids.set_pin)
        driver.until(lambda: built.vm.suggested_pin, what="a proposal")
        proposal = built.vm.suggested_pin
        # the screen draws the viewmodel's state on its next frame, not at once
        driver.until(lambda: root.ids.c_pin.text == proposal, what="the proposal in the field")
        driver.until(lambda: "此密码不能使用" in root.note_text, what="the refusal in the note")
        assert "此密码不能使用" in root.note_text and "张伟" not in root.note_text
        driver.tap(root.ids.set_pin)
        driver.until(lambda: built.vm.note == "密码已设置", what="PIN set")
        assert in_use(site.store, proposal)
        rows = site.store.query(
            "SELECT person_id FROM credentials WHERE kind = 'pin' AND revoked_at IS NULL"
        )
        assert sorted(r["person_id"] for r in rows) == sorted([zhang, li])
