"""The face tab asks for consent first, says when the camera gives no picture and answers every
tap on "capture": in the viewmodel, and in a real window on the real bus with no camera."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.manager import ManagerVM


def test_consent_first_and_every_capture_answered() -> None:
    vm = ManagerVM(LocalGateway(), Strings("en"))
    vm.capture(b"\xff\xd8one")
    assert vm.captured == [] and vm.note == "Record the resident's consent first"
    vm.set_consent(True)
    vm.capture(None)
    assert vm.captured == [] and vm.note.startswith("No picture from the camera")
    for i in range(6):
        vm.capture(b"\xff\xd8%d" % i)
    assert len(vm.captured) == 5 and vm.note == "5 photo(s) captured (5 kept at most)"
    vm.set_consent(False)  # withdrawn: the photos go too
    assert vm.captured == []


@pytest.mark.ui
@pytest.mark.integration
def test_without_a_camera_the_tab_says_so_and_capture_explains(site: Site, driver: Driver) -> None:

    with on_console(site, driver, Strings("zh"), door="no-such-camera") as built:
        root, vm = built.root, built.vm
        driver.tap(root.ids.tab_face)
        driver.until(lambda: root.camera_text == "摄像头: 无画面", what="camera state shown")
        driver.tap(root.ids.consent)
        assert vm.consent and root.ids.consent.height >= 80  # a large control
        driver.tap(root.ids.capture)
        assert "摄像头没有画面" in root.note_text and vm.captured == []
