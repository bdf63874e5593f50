"""A face camera gone for good becomes the officer's alarm (a core extension).

The face service keeps serving the cameras that deliver frames and reports, retained, each
camera's state on ``face/<camera>/state`` (``compound/app/face_health.py``): ``online``, or
``gone`` with since when and why. A gone camera means faces are no longer recognised at its
doors (cards, PINs and passes still work), which someone has to fix: the core raises one
``camera_gone`` alarm (high) per outage, naming the camera and its doors. The retained state is
delivered again at every reconnect and restart of the core; an outage already alarmed (same
camera, same start) raises nothing more, nor does a camera whose earlier alarm is still open.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from compound.adapters.bus_types import ApiWorker
from compound.adapters.mqtt import Message
from compound.protocol.messages import MessageError, decode_object, get_num, get_segment, get_str
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core

log = logging.getLogger(__name__)

RULE = "camera_gone"


class CameraAlarms:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._states: ApiWorker | None = None

    def offers(self) -> Offers:
        return Offers()

    def start(self) -> None:
        # Off the network thread: raising the alarm writes to the database, and there a long
        # write (an import) held up every message behind it, the doors' swipes included.
        states = self._states = ApiWorker(
            "camera-states", self.core.counters, 256, "camera_state.shed"
        )
        self.core.bus.subscribe(self.core.topics.all("face/+/state"), states.wrap(self.on_state))

    def stop(self) -> None:
        if self._states is not None:
            self._states.stop()

    def on_state(self, msg: Message) -> None:
        parts = self.core.topics.split(msg.topic)
        if len(parts) != 3 or not msg.payload:
            return
        try:
            body = decode_object(msg.payload, limit=4096)
            camera = get_segment(body, "camera")
            state = get_str(body, "state", max_len=16)
            since = float(get_num(body, "at"))
            detail = get_str(body, "detail", max_len=128, optional=True) or ""
            doors = body.get("doors") or []
            if camera != parts[1] or state not in ("online", "gone") or not isinstance(doors, list):
                raise MessageError("a camera state names another camera, or is unknown")
        except MessageError as e:
            self.core.counters["camera_state.malformed"] += 1
            log.warning("malformed camera state on %s: %s", msg.topic, e)
            return
        self.core.counters[f"camera_state.{state}"] += 1
        if state == "gone":
            self._raise(camera, [str(d) for d in doors[:8]], since, detail)

    def _raise(self, camera: str, doors: list[str], since: float, detail: str) -> None:
        store = self.core.store
        subject, prefix = f"{camera}@{since:.3f}", f"{camera}@"
        with store.transaction() as c:
            if c.execute(
                "SELECT 1 FROM alarms WHERE rule = ? AND (subject = ?"
                " OR (substr(subject, 1, ?) = ? AND acknowledged_at IS NULL))",
                (RULE, subject, len(prefix), prefix),
            ).fetchone():
                self.core.counters["camera_state.already_alarmed"] += 1
                return
            door = next((d for d in doors if store.door(d) is not None), None)
            where = f" at {', '.join(doors)}" if doors else ""
            alarm = store.raise_alarm(
                RULE,
                f"camera {camera}{where} delivers no frames ({detail}): faces are not "
                "recognised there; cards, PINs and passes still work",
                severity="high",
                door_id=door,
                data={"camera": camera, "doors": doors, "since": since},
            )
            c.execute(
                "UPDATE alarms SET rule = ?, subject = ? WHERE id = ?", (RULE, subject, alarm.id)
            )
