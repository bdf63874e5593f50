"""The door camera's picture at the moment of an urgent alarm, for the officer wall's pop-up.

The face service publishes each camera's preview JPEGs on ``face/<camera>/frame`` (a door
panel's camera carries its door's id). This extension keeps the latest frame of each camera in
memory and, when an urgent alarm is raised at a door, keeps that door's frame with it if the
frame is fresh (at most ``FRESH_S`` old): the picture of who stood there when
it happened, not whoever stands there when the officer looks. ``alarm.snapshot`` ``{"id"}``
answers ``{"jpeg": <base64>, "at": <when the frame came>}`` or ``{"none": "no_frame"}``
(no camera at that door, the camera silent, or the alarm not urgent). Urgent: what pops up on
the officer wall, the config's ``[wall]`` (``compound/config/wall.py``; by default critical
alarms, emergency calls, a door forced open or tampered with).

Pictures are kept in memory only and only for the last ``KEPT`` urgent alarms: they are of
people at a door, and the call records already keep the intercom's own snapshot.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from compound.adapters.mqtt import Message
from compound.config import WallConfig
from compound.domain.model import Event, InvalidInput
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core

FRESH_S = 10.0  # a frame older than this at the alarm is not the picture of it
KEPT = 200  # urgent alarms whose picture is kept
MAX_FRAME = 512 * 1024  # a preview JPEG; anything bigger is not kept


def urgent(data: dict[str, Any], wall: WallConfig) -> bool:
    return data.get("severity") in wall.urgent_severities or data.get("kind") in wall.urgent_kinds


class AlarmSnapshots:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.lock = threading.Lock()
        self.frames: dict[str, tuple[bytes, float]] = {}  # camera -> latest JPEG, when it came
        self.kept: OrderedDict[int, tuple[bytes, float]] = OrderedDict()  # alarm event seq

    def offers(self) -> Offers:
        return Offers(api={"alarm.snapshot": self.api_snapshot}, event_hooks=(self.on_event,))

    def start(self) -> None:
        self.core.bus.subscribe(self.core.topics.all("face/+/frame"), self.on_frame)

    def stop(self) -> None:
        pass

    def on_frame(self, msg: Message) -> None:
        parts = self.core.topics.split(msg.topic)
        if len(parts) != 3 or len(msg.payload) > MAX_FRAME or msg.payload[:2] != b"\xff\xd8":
            return
        with self.lock:
            self.frames[parts[1]] = (msg.payload, self.core.clock.now())

    def on_event(self, ev: Event) -> None:
        if ev.type != "alarm.raised" or not ev.door_id:
            return
        if not urgent(dict(ev.data), self.core.config.wall):
            return
        with self.lock:
            frame = self.frames.get(ev.door_id)
            if frame is None or self.core.clock.now() - frame[1] > FRESH_S:
                return
            self.kept[ev.seq] = frame
            while len(self.kept) > KEPT:
                self.kept.popitem(last=False)

    def api_snapshot(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            alarm_id = int(p["id"])
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("give the alarm id") from None
        row = self.core.store.one("SELECT event_seq FROM alarms WHERE id = ?", (alarm_id,))
        if row is None:
            raise InvalidInput(f"unknown alarm {alarm_id}")
        with self.lock:
            frame = self.kept.get(int(row["event_seq"] or 0))
        if frame is None:
            return {"none": "no_frame"}
        return {"jpeg": base64.b64encode(frame[0]).decode("ascii"), "at": frame[1]}
