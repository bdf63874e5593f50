"""The face tab asks for consent first, says when the camera gives no picture and answers every
tap on "capture": in the viewmodel, and in a real window on the real bus with no camera."""

from __future__ import annotations

import pytest

from compound.domain.clock import SystemClock
from tests.ui.conftest import Driver, Site, gateway
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
    from ui.app import build_role

    gw = gateway(site, "manager")
    try:
        built = build_role("manager", gw, Strings("zh"), SystemClock(), door="no-such-camera")
        root, vm = built.root, built.vm
        driver.mount(root, (1280, 800))
        vm.load()
        # The offline banner goes when the bus connects and moves the tabs down 44 px: a tap
        # landing while it goes would be pressed on one place and released on another.
        driver.until(lambda: root.banner_text == "", what="the bus connected")
        driver.tap(root.ids.tab_face)
        driver.until(lambda: root.camera_text == "摄像头: 无画面", what="camera state shown")
        driver.tap(root.ids.consent)
        assert vm.consent and root.ids.consent.height >= 80  # a large control
        driver.tap(root.ids.capture)
        assert "摄像头没有画面" in root.note_text and vm.captured == []
    finally:
        gw.stop()
