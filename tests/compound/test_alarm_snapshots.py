"""The door camera's picture kept with an urgent alarm: the frame that was fresh when the alarm
was raised, for the alarms that pop up on the wall (critical ones, emergencies, intrusions, or
the config's [wall] list) at a door only, and "no frame" otherwise."""

from __future__ import annotations

import base64
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from compound.adapters.mqtt import Message
from compound.config import Config, WallConfig
from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.protocol.topics import Topics
from compound.services.alarm_snapshots import FRESH_S, KEPT, AlarmSnapshots
from compound.store.db import Store

JPEG = b"\xff\xd8" + b"picture" * 10


def snapshots(store: Store, clock: ManualClock, config: Config | None = None) -> AlarmSnapshots:
    core = SimpleNamespace(
        store=store,
        clock=clock,
        counters=Counter(),
        topics=Topics("t1"),
        config=config or Config(),
    )
    snaps = AlarmSnapshots(core)  # type: ignore[arg-type]
    for hook in snaps.offers().event_hooks:
        store.event_hooks.append(hook)
    return snaps


def frame(snaps: AlarmSnapshots, camera: str, payload: bytes = JPEG) -> None:
    snaps.on_frame(Message(Topics("t1").face_frame(camera), payload, 0, False))


def raise_(store: Store, kind: str, severity: str, door: str | None = "b2-e1") -> int:
    return store.raise_alarm(kind, "x", severity=severity, door_id=door).id


def test_a_critical_alarm_keeps_the_frame_of_its_door(store: Store, clock: ManualClock) -> None:
    store.add_door("b2-e1", "Building 2 entrance 1", ["2-1"])
    snaps = snapshots(store, clock)
    frame(snaps, "b2-e1")
    taken = clock.now()
    clock.advance(3)
    aid = raise_(store, "emergency", "critical")
    frame(snaps, "b2-e1", b"\xff\xd8later")  # a later frame does not replace the alarm's
    r: dict[str, Any] = snaps.api_snapshot({"id": aid})
    assert base64.b64decode(r["jpeg"]) == JPEG and r["at"] == taken


@pytest.mark.parametrize(
    ("kind", "severity", "door", "stale"),
    [
        ("held_open", "medium", "b2-e1", False),  # not urgent
        ("zone", "critical", None, False),  # no door, no camera
        ("emergency", "critical", "b2-e1", True),  # the camera went quiet
    ],
)
def test_no_frame_for_other_alarms_or_a_stale_picture(
    store: Store, clock: ManualClock, kind: str, severity: str, door: str | None, stale: bool
) -> None:
    store.add_door("b2-e1", "Building 2 entrance 1", ["2-1"])
    snaps = snapshots(store, clock)
    frame(snaps, "b2-e1")
    if stale:
        clock.advance(FRESH_S + 1)
    aid = raise_(store, kind, severity, door)
    assert snaps.api_snapshot({"id": aid}) == {"none": "no_frame"}


def test_an_intrusion_keeps_its_picture_and_the_wall_config_decides(
    store: Store, clock: ManualClock
) -> None:
    """A door forced open is high, not critical: it pops up on the wall, so its picture is kept;
    a box configured to interrupt for emergencies only keeps none for it."""
    store.add_door("b2-e1", "Building 2 entrance 1", ["2-1"])
    snaps = snapshots(store, clock)
    frame(snaps, "b2-e1")
    for kind in ("forced_open", "tamper"):
        r = snaps.api_snapshot({"id": raise_(store, kind, "high")})
        assert base64.b64decode(r["jpeg"]) == JPEG
    only = Config().replace(wall=WallConfig([], ["emergency"]))
    quiet = snapshots(store, clock, only)
    frame(quiet, "b2-e1")
    aid = raise_(store, "forced_open", "high")
    assert quiet.api_snapshot({"id": aid}) == {"none": "no_frame"}
    assert "jpeg" in quiet.api_snapshot({"id": raise_(store, "emergency", "critical")})


def test_only_jpeg_frames_are_kept_and_only_the_last_alarms(
    store: Store, clock: ManualClock
) -> None:
    store.add_door("b2-e1", "Building 2 entrance 1", ["2-1"])
    snaps = snapshots(store, clock)
    frame(snaps, "b2-e1", b"GIF89a not a jpeg")
    aid = raise_(store, "emergency", "critical")
    assert snaps.api_snapshot({"id": aid}) == {"none": "no_frame"}
    frame(snaps, "b2-e1")
    ids = [raise_(store, "emergency", "critical") for _ in range(KEPT + 1)]
    assert snaps.api_snapshot({"id": ids[0]}) == {"none": "no_frame"}
    assert "jpeg" in snaps.api_snapshot({"id": ids[-1]})
    with pytest.raises(InvalidInput):
        snaps.api_snapshot({"id": 10**9})
    with pytest.raises(InvalidInput):
        snaps.api_snapshot({"id": "x"})
