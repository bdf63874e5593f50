"""A door panel and its door's rule for the face challenge, in a real Kivy window under Xvfb at
1024×600 against the real core on a real Mosquitto. The core tells the panel, in its answer
about the panel's own door (``door.show``), whether a face may ever be asked the challenge
there (never from a config file: a panel is a device on the bus and need not run on the box):
no at a door that never asks (its own IR or depth terminal), yes at one that asks by person or
by hour. What the panel shows follows the face service, which says on each attempt whether it
asks this face now: its prompts and verdicts as they come, in the screen's language; a
challenge is shown whenever it comes (the face service opens nothing until it is answered),
also where the core said none is asked, which the panel logs once as a mismatch of rules.
Old cores' answers (no ``face_challenge``) leave the panel as it was: prompts as they come.
The rules end to end with the face service on real dlib: tests/compound/face/
test_panel_follows_face_rules.py."""

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


def challenge(kind: str, camera: str = "cam-b3") -> dict[str, object]:
    zh, en = PROMPTS[kind]
    body = {"id": "c1", "kind": kind, "zh": zh, "en": en, "expires_at": 0}
    return {"camera": camera, "doors": [DOOR], "status": "challenge", "challenge": body}


@pytest.mark.parametrize("said", [False, True, None])
def test_the_panel_takes_the_face_rule_from_the_cores_answer(
    said: bool | None, caplog: pytest.LogCaptureFixture
) -> None:
    """Before the answer the panel shows the challenge; after it, too, whatever the core said
    (the face service asks per attempt). A core that says nothing about it (an older one)
    leaves the default; one that says "never" while the challenge comes gets one log line."""
    door = {"id": DOOR, "name": "3号楼2单元", "serves": ["3-2"]}
    if said is not None:
        door["face_challenge"] = said
    local = LocalGateway(door_api([door]))
    local.hold_replies = True
    camera = f"cam-said-{said}"  # the mismatch is logged once per camera and process
    vm = DoorPanelVM(local, Strings("zh"), ManualClock(), DOOR, camera=camera)
    vm.load()
    local.deliver(f"face/{camera}/result", challenge("turn_left", camera))
    assert "转头" in vm.status_line
    local.release()
    assert vm.face_challenge is (said is not False) and vm.door_name == "3号楼2单元"
    caplog.clear()
    for kind in ("turn_left", "look_up"):
        local.deliver(f"face/{camera}/result", challenge(kind, camera))
    assert "抬头" in vm.status_line
    told = [r for r in caplog.records if "asks the challenge at camera" in r.getMessage()]
    assert len(told) == (1 if said is False else 0)


@pytest.fixture
def never_site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Site]:
    """The demo compound's core run with a face config in which b3-e2 never asks."""
    s = Site(tmp_path, mosquitto.port, face_config("never"))
    yield s
    s.close()


def test_a_door_that_never_challenges_shows_what_the_face_service_says(
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
        # The face service there waits for a blink (it checks liveness) and asks nothing more.
        face.publish(topic, {"camera": "cam-b3", "status": "look at the camera and blink"})
        driver.until(lambda: status.text == "请看摄像头并眨眨眼", what="blink prompt")
        face.publish(topic, {"camera": "cam-b3", "status": "not recognised", "faces": []})
        driver.until(lambda: status.text.startswith("未识别"), what="a verdict")
        strings.toggle()
        driver.until(lambda: status.text.startswith("Not recognised"), what="in English")
        # A face service run with another rule (not restarted after an edit) asks anyway: the
        # prompt is shown, since it opens nothing until the answer.
        face.publish(topic, challenge("turn_left"))
        driver.until(lambda: "Turn your head to the left" in status.text, what="the challenge")


@pytest.fixture
def hours_site(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Site]:
    """The demo compound's core run with a face config in which b3-e2 asks at night only."""
    s = Site(tmp_path, mosquitto.port, face_config("hours", hours=["22:00-06:00"]))
    yield s
    s.close()


def test_a_door_that_asks_by_the_hour_shows_the_challenge_only_when_asked(
    hours_site: Site, driver: Driver
) -> None:
    """The core says a face may be asked at a door that asks at night; by day the face service
    asks nothing and the panel tells the resident to look and blink, then welcomes them; at
    night it deals the challenge and the panel shows it. The panel keeps no clock of its own
    for this: it follows the face service."""
    site = hours_site
    face = site.bus("test-face")
    topic = site.topics.face_result("cam-b3")
    with on_screen(
        driver, gateway(site, "door"), "door", PANEL_SIZE, Strings("zh"), door=DOOR,
        camera="cam-b3",
    ) as built:  # fmt: skip
        vm, status = built.vm, built.root.ids.status
        driver.until(lambda: vm.door_name != DOOR, what="the core's answer about the door")
        assert vm.face_challenge is True  # may be asked: at some hours
        face.publish(topic, {"camera": "cam-b3", "status": "look at the camera and blink"})
        driver.until(lambda: status.text == "请看摄像头并眨眨眼", what="the day's blink prompt")
        face.publish(topic, challenge("turn_left"))
        driver.until(lambda: "转头" in status.text, what="the night's challenge")
