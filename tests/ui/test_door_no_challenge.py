"""A door panel at a door that never asks the face challenge (``[[face.doors]]`` challenge =
"never": the door has its own IR or depth terminal), in a real Kivy window under Xvfb at
1024×600 against the real core on a real Mosquitto: the panel is told so from the face config
the box runs with, and a challenge that reaches it from the face service is not shown, only
"look at the camera", in the screen's language; the blink prompt stays (the face service still
waits for a blink there)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from compound.camera_config import CameraWiring, FaceDoorWiring
from compound.config import Config
from compound.domain.clock import ManualClock, SystemClock
from compound.domain.face.challenge import PROMPTS
from tests.ui.conftest import Driver, Site, gateway
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM
from ui.viewmodels.door_parse import face_challenge_asked

pytestmark = [pytest.mark.ui, pytest.mark.integration]

DOOR = "b3-e2"


def face_config(door_rule: str, shared_with: str | None = None) -> Config:
    doors = [DOOR] + ([shared_with] if shared_with else [])
    cam = CameraWiring(id="cam-b3", source="replay:/nowhere", doors=doors, challenge="always")
    face = replace(Config().face, cameras=[cam], doors=[FaceDoorWiring(DOOR, door_rule)])
    return replace(Config(), face=face)


def challenge(kind: str) -> dict[str, object]:
    zh, en = PROMPTS[kind]
    body = {"id": "c1", "kind": kind, "zh": zh, "en": en, "expires_at": 0}
    return {"camera": "cam-b3", "doors": [DOOR], "status": "challenge", "challenge": body}


def test_which_doors_the_panel_is_told_never_ask() -> None:
    assert not face_challenge_asked(face_config("never").face, DOOR)
    assert face_challenge_asked(face_config("always").face, DOOR)
    assert face_challenge_asked(face_config("hours").face, DOOR)
    # A camera that also watches a door that asks deals the challenge to every face it sees.
    assert face_challenge_asked(face_config("never", shared_with="b2-e1").face, DOOR)
    assert face_challenge_asked(Config().face, DOOR)  # no camera: prompts kept as they come
    # A panel not told shows the prompt as before (what the window test below must not see).
    local = LocalGateway()
    vm = DoorPanelVM(local, Strings("zh"), ManualClock(), DOOR)
    local.deliver(f"face/{DOOR}/result", challenge("turn_left"))
    assert "转头" in vm.status_line


def test_a_door_that_never_challenges_says_look_at_the_camera(site: Site, driver: Driver) -> None:
    from ui.app import build_role

    config = face_config("never")
    gw = gateway(site, "door")
    strings = Strings("zh")
    face = site.bus("test-face")
    topic = site.topics.face_result("cam-b3")
    try:
        built = build_role(
            "door",
            gw,
            strings,
            SystemClock(),
            door=DOOR,
            camera="cam-b3",
            face_challenge=face_challenge_asked(config.face, DOOR),
        )
        root, vm = built.root, built.vm
        driver.mount(root, (1024, 600))
        vm.load()
        status = root.ids.status
        driver.until(lambda: vm.door_name != DOOR, what="the door's name from the core")
        face.publish(topic, challenge("turn_left"))
        driver.until(lambda: status.text == "请看摄像头", what="look at the camera")
        assert "转头" not in status.text and "Turn" not in status.text
        strings.toggle()
        driver.until(lambda: status.text == "Look at the camera", what="in English")
        # The liveness prompt stays: the face service still waits for a blink at this door.
        face.publish(topic, {"camera": "cam-b3", "status": "not recognised", "faces": []})
        driver.until(lambda: status.text.startswith("Not recognised"), what="a verdict")
        face.publish(topic, {"camera": "cam-b3", "status": "look at the camera and blink"})
        driver.until(lambda: status.text == "Look at the camera and blink", what="blink prompt")
    finally:
        gw.stop()
