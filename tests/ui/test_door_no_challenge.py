"""A door panel at a door that never asks the face challenge (``[[face.doors]]`` challenge =
"never": the door has its own IR or depth terminal), in a real Kivy window under Xvfb at
1024×600 against the real core on a real Mosquitto: the panel is told so by the core, in its
answer about the panel's own door (``door.show``), never from a config file (a panel is a
device on the bus and need not run on the box). A challenge that reaches it from the face
service is not shown, only "look at the camera", in the screen's language; the blink prompt
stays (the face service still waits for a blink there). Until the core answers, the panel
shows the prompts as they come."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.broker import Mosquitto
from compound.domain.clock import ManualClock
from compound.domain.face.challenge import PROMPTS
from tests.compound.face.door_rules import DOOR, face_config
from tests.ui.conftest import PANEL_SIZE, Driver, Site, gateway, on_screen
from tests.ui.fake_doors import door_api
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def challenge(kind: str) -> dict[str, object]:
    zh, en = PROMPTS[kind]
    body = {"id": "c1", "kind": kind, "zh": zh, "en": en, "expires_at": 0}
    return {"camera": "cam-b3", "doors": [DOOR], "status": "challenge", "challenge": body}


@pytest.mark.parametrize(("said", "shown"), [(False, "请看摄像头"), (True, "转头"), (None, "转头")])
def test_the_panel_takes_the_face_rule_from_the_cores_answer(said: bool | None, shown: str) -> None:
    """Before the answer the panel shows the challenge (the default); after it, what the core
    said; a core that says nothing about it leaves the default."""
    door = {"id": DOOR, "name": "3号楼2单元", "serves": ["3-2"]}
    if said is not None:
        door["face_challenge"] = said
    local = LocalGateway(door_api([door]))
    local.hold_replies = True
    vm = DoorPanelVM(local, Strings("zh"), ManualClock(), DOOR)
    vm.load()
    local.deliver(f"face/{DOOR}/result", challenge("turn_left"))
    assert "转头" in vm.status_line
    local.release()
    assert vm.face_challenge is (said is not False) and vm.door_name == "3号楼2单元"
    local.deliver(f"face/{DOOR}/result", challenge("turn_left"))
    assert shown in vm.status_line and ("转头" in vm.status_line) is (said is not False)


@pytest.fixture
def never_site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Site]:
    """The demo compound's core run with a face config in which b3-e2 never asks."""
    s = Site(tmp_path, mosquitto.port, face_config("never"))
    yield s
    s.close()


def test_a_door_that_never_challenges_says_look_at_the_camera(
    never_site: Site, driver: Driver
) -> None:
    site = never_site
    strings = Strings("zh")
    face = site.bus("test-face")
    topic = site.topics.face_result("cam-b3")
    with on_screen(
        driver, gateway(site, "door"), "door", PANEL_SIZE, strings, door=DOOR, camera="cam-b3"
    ) as built:
        vm, status = built.vm, built.root.ids.status
        driver.until(lambda: not vm.face_challenge, what="the core's word on the face rule")
        assert vm.door_name != DOOR  # it came with the door's name, in the same answer
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


def test_a_door_that_asks_keeps_the_challenge(site: Site, driver: Driver) -> None:
    """The demo core's config has no face rule for the door: the core says it may ask, and
    the panel shows the challenge itself."""
    face = site.bus("test-face")
    with on_screen(
        driver, gateway(site, "door"), "door", PANEL_SIZE, Strings("zh"), door=DOOR,
        camera="cam-b3",
    ) as built:  # fmt: skip
        vm, status = built.vm, built.root.ids.status
        driver.until(lambda: vm.door_name != DOOR, what="the core's answer about the door")
        assert vm.face_challenge is True
        face.publish(site.topics.face_result("cam-b3"), challenge("turn_left"))
        driver.until(lambda: "转头" in status.text, what="the challenge")
