"""Whether a face may be asked the challenge at a door (``compound/services/face_doors.py``),
as the face service deals it, and the core saying so to a door panel in ``door.show``."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from types import SimpleNamespace

from compound.camera_config import CameraWiring, FaceDoorWiring
from compound.config import Config
from compound.services.core_lists import CoreLists
from compound.services.face_doors import door_asks_challenge
from compound.store.db import Store
from tests.compound.face.door_rules import DOOR, face_config


def test_which_doors_ask_the_challenge() -> None:
    assert not door_asks_challenge(face_config("never").face, DOOR)
    assert door_asks_challenge(face_config("always").face, DOOR)
    # Some faces at some hours: whether this one is asked now, the face service says itself.
    assert door_asks_challenge(face_config("hours").face, DOOR)
    assert door_asks_challenge(face_config("people").face, DOOR)
    # A camera that also watches a door that asks deals the challenge to every face it sees.
    assert door_asks_challenge(face_config("never", shared_with="b2-e1").face, DOOR)
    assert door_asks_challenge(Config().face, DOOR)  # no camera: nothing known, prompts kept
    # The one-camera keys: a camera that checks no liveness asks nobody at its door.
    one = replace(Config().face, source="replay:/nowhere", door=DOOR, liveness=False)
    assert not door_asks_challenge(one, DOOR)
    assert door_asks_challenge(replace(one, liveness=True), DOOR)
    # A camera that asks nobody, and a door rule that asks at it: the rule wins.
    cam = CameraWiring(id="c", source="replay:/x", doors=[DOOR], challenge="never")
    ruled = replace(Config().face, cameras=[cam], doors=[FaceDoorWiring(DOOR, "always")])
    assert door_asks_challenge(ruled, DOOR)
    assert not door_asks_challenge(replace(ruled, doors=[]), DOOR)


def test_door_show_says_whether_the_door_asks(store: Store) -> None:
    store.add_unit("3-2-101")
    store.add_door(DOOR, "Building 3 entrance 2", ["3-2"])
    store.add_door("b2-e1", "Building 2 entrance 1", ["2-1"])
    rules = [
        ({"door_rule": "never"}, False),
        ({"door_rule": "always"}, True),
        ({"door_rule": "people", "roles": ["tenant"]}, True),  # may be asked: some people
        ({"door_rule": "hours", "hours": ["22:00-06:00"]}, True),  # and some hours
    ]
    for rule, here in rules:
        core = SimpleNamespace(
            store=store, config=face_config(**rule), door_states={}, counters=Counter()
        )
        lists = CoreLists(core)  # type: ignore[arg-type]
        shown = lists.door_show({"door": DOOR})
        assert shown["id"] == DOOR and shown["face_challenge"] is here
        assert lists.door_show({"door": "b2-e1"})["face_challenge"] is True  # no camera
