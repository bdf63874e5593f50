"""What a door panel tells the person in front of it under each door rule for the face
challenge (always, never, people, hours), end to end in one process: the core's answer about
the door (``door.show`` of the real ``CoreLists`` on a real store) and the face service's
messages as it publishes them (``WatchOutcome.as_dict`` of a real ``CameraWatch`` on real dlib,
built with the policy and rules the face service builds from the same config) reach the panel's
view model through a gateway in memory.

A rule by person or by hour asks some faces at some hours only; the core can only say that a
face may be asked at the door. The panel shows the prompt when the face service asks, and only
then: a tenant at a door that asks tenants, anyone at night at a door that asks at night; an
owner there by day is told to look and blink and walks in; at a door that never asks, sharing
its camera with one that does, a resident of both is asked (one request opens both). The
clip is a resident's blink with no turn, and the challenge dealt is "turn right": a face asked
cannot answer it and opens nothing."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from compound.domain.clock import ManualClock
from compound.domain.face.challenge import ChallengeDealer, ChallengeRules
from compound.domain.face.challenge_policy import Who, camera_policy
from compound.domain.face.gallery import Gallery
from compound.domain.face.watch import CameraWatch, WatchRules
from compound.domain.model import Role
from compound.services.core_lists import CoreLists
from compound.services.face_cameras import door_rules
from compound.store.db import Store
from devkit import face_clips
from tests.compound.face.conftest import ENROL_PHOTOS, CachingRecognizer
from tests.compound.face.door_rules import DOOR, face_config
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import DoorPanelVM

pytestmark = pytest.mark.integration

RESIDENT = "John_Schneider"
FRONT, NARROW = 10, 8  # nearly frontal with open eyes; eyes nearly closed (a blink)
PERSON = 7
OTHER = "b2-e1"  # a door the camera may watch too
NOON = datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp()
NIGHT = datetime(2026, 11, 30, 23, tzinfo=UTC).timestamp()
TURN_RIGHT, BLINK = "请向右转头", "请看摄像头并眨眨眼"


@pytest.fixture(scope="module")
def clip(johns: dict[str, list[Path]]) -> list[np.ndarray]:
    photos = face_clips.load(johns[RESIDENT])
    return face_clips.crossfade([photos[FRONT], photos[NARROW], photos[FRONT]])


@pytest.fixture(scope="module")
def gallery(recognizer: CachingRecognizer, johns: dict[str, list[Path]]) -> Gallery:
    photos = face_clips.load(johns[RESIDENT][:ENROL_PHOTOS])
    rows = [recognizer.analyse(p)[0].encoding for p in photos]
    return Gallery(np.full(len(rows), PERSON), np.array(rows))


def visit(
    store: Store,
    recognizer: CachingRecognizer,
    gallery: Gallery,
    clip: list[np.ndarray],
    rule: dict[str, Any],
    role: Role,
    at: float,
) -> tuple[DoorPanelVM, list[str], list[str]]:
    """One visit of the resident (as ``role``, at ``at``) to DOOR under ``rule``: the panel, the
    lines it showed as the face service spoke, and the doors the face service asked to open.
    Where the camera also watches another door (``shared_with``), the resident may open it
    when ``rule["both"]``."""
    rule = dict(rule)
    both = rule.pop("both", False)
    config = face_config(**rule)
    cam = config.face.cameras[0]
    policy = camera_policy(cam.doors, cam.challenge, door_rules(config.face, lambda d: True))
    ids = (f"c{i}" for i in itertools.count())
    watch = CameraWatch(
        recognizer,
        camera_id=cam.id,
        doors=cam.doors,
        gallery=gallery,
        door_people={d: {PERSON} for d in (cam.doors if both else [DOOR])},
        rules=WatchRules(challenge=policy.asks_anyone()),  # as the face service builds it
        dealer=ChallengeDealer(ChallengeRules(), lambda kinds: "turn_right", lambda: next(ids)),
        policy=policy,
        tz=UTC,
        roles={PERSON: Who(role)},
    )
    core = SimpleNamespace(store=store, config=config, door_states={}, counters=Counter())
    gw = LocalGateway({"door.show": CoreLists(core).door_show})  # type: ignore[arg-type]
    panel = DoorPanelVM(gw, Strings("zh"), ManualClock(), DOOR, camera=cam.id)
    panel.load()
    lines: list[str] = []
    opened: list[str] = []
    for frame in clip:
        out = watch.process(frame, at)
        opened += [r.door_id for r in out.requests]
        gw.deliver(f"face/{cam.id}/result", out.as_dict(cam.id, cam.doors))
        if not lines or panel.status_line != lines[-1]:
            lines.append(panel.status_line)
        at += 0.1
    return panel, lines, opened


@pytest.mark.parametrize(
    ("rule", "role", "at", "asked", "may_ask"),
    [
        ({"door_rule": "always"}, Role.OWNER, NOON, True, True),
        ({"door_rule": "never"}, Role.OWNER, NIGHT, False, False),
        ({"door_rule": "people", "roles": ["tenant"]}, Role.OWNER, NOON, False, True),
        ({"door_rule": "people", "roles": ["tenant"]}, Role.TENANT, NOON, True, True),
        ({"door_rule": "hours", "hours": ["22:00-06:00"]}, Role.OWNER, NOON, False, True),
        ({"door_rule": "hours", "hours": ["22:00-06:00"]}, Role.OWNER, NIGHT, True, True),
        # One camera at a door that never asks and at one that always does: one request opens
        # both, so a resident of both is asked, also in front of the door that never asks.
        ({"door_rule": "never", "shared_with": OTHER}, Role.OWNER, NOON, False, True),
        ({"door_rule": "never", "shared_with": OTHER, "both": True}, Role.OWNER, NOON, True, True),
    ],
    ids=[
        "always",
        "never",
        "people-not-listed",
        "people-listed",
        "hours-out",
        "hours-in",
        "never-shared-own-door",
        "never-shared-both-doors",
    ],
)
def test_the_panel_shows_the_challenge_exactly_when_the_face_service_asks_it(
    store: Store,
    recognizer: CachingRecognizer,
    gallery: Gallery,
    clip: list[np.ndarray],
    rule: dict[str, Any],
    role: Role,
    at: float,
    asked: bool,
    may_ask: bool,
) -> None:
    store.add_unit("3-2-1501")
    store.add_door(DOOR, "3号楼2单元", ["3-2"])
    store.add_door(OTHER, "2号楼1单元", ["2-1"])
    panel, lines, opened = visit(store, recognizer, gallery, clip, rule, role, at)
    assert panel.door_name == "3号楼2单元"  # the core's answer came
    assert panel.face_challenge is may_ask  # "may be asked here", from the core
    prompted = any(TURN_RIGHT in line for line in lines)
    assert prompted is asked, lines
    if asked:
        assert opened == []  # the face service waits for the answer, which never comes
    else:
        assert opened == [DOOR]  # the door the resident may open (not the shared one)
        assert any(BLINK in line for line in lines), lines  # told to look and blink
