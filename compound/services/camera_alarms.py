"""A face camera gone, blind or frozen becomes the officer's alarm (a core extension).

The face service keeps serving the cameras that deliver frames and reports, retained, each
camera's state on ``face/<camera>/state`` (``compound/app/face_health.py``): ``online``;
``gone`` (no frames); ``blind`` (a covered, taped or sprayed lens: a dark or uniform picture);
``frozen`` (the very same picture again and again); each with since when and why. Any of them
means faces are no longer recognised at its doors (cards, PINs and passes still work), which
someone has to fix: the core raises one alarm (high) per outage, ``camera_gone``,
``camera_blind`` or ``camera_frozen``, naming the camera and its doors. The retained state is
delivered again at every reconnect and restart of the core; an outage already alarmed (same
camera, same kind, same start) raises nothing more, nor does a camera whose earlier alarm of
that kind is still open.

When the camera reports ``online`` again, its open alarms say so ("; back online after 4 min",
and an ``alarm.noted`` event the wall refreshes on), once. They are not closed: a lens covered
for a minute may be someone passing a door unseen, which the officer should look at and
acknowledge; and a camera that comes and goes keeps one open alarm, not one per flap.
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

# The state a face service reports -> the alarm it raises; the words of its message.
RULES = {"gone": "camera_gone", "blind": "camera_blind", "frozen": "camera_frozen"}
WHAT = {"gone": "delivers no frames", "blind": "sees nothing", "frozen": "shows a frozen picture"}
BACK = "; back online after "


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
            known = state == "online" or state in RULES
            if camera != parts[1] or not known or not isinstance(doors, list):
                raise MessageError("a camera state names another camera, or is unknown")
        except MessageError as e:
            self.core.counters["camera_state.malformed"] += 1
            log.warning("malformed camera state on %s: %s", msg.topic, e)
            return
        self.core.counters[f"camera_state.{state}"] += 1
        if state == "online":
            self._back(camera, since)
        else:
            self._raise(
                RULES[state], WHAT[state], camera, [str(d) for d in doors[:8]], since, detail
            )

    def _raise(
        self, rule: str, what: str, camera: str, doors: list[str], since: float, detail: str
    ) -> None:
        store = self.core.store
        subject, prefix = f"{camera}@{since:.3f}", f"{camera}@"
        with store.transaction() as c:
            if c.execute(
                "SELECT 1 FROM alarms WHERE rule = ? AND (subject = ?"
                " OR (substr(subject, 1, ?) = ? AND acknowledged_at IS NULL))",
                (rule, subject, len(prefix), prefix),
            ).fetchone():
                self.core.counters["camera_state.already_alarmed"] += 1
                return
            door = next((d for d in doors if store.door(d) is not None), None)
            where = f" at {', '.join(doors)}" if doors else ""
            alarm = store.raise_alarm(
                rule,
                f"camera {camera}{where} {what} ({detail}): faces are not "
                "recognised there; cards, PINs and passes still work",
                severity="high",
                door_id=door,
                data={"camera": camera, "doors": doors, "since": since},
            )
            c.execute(
                "UPDATE alarms SET rule = ?, subject = ? WHERE id = ?", (rule, subject, alarm.id)
            )

    def _back(self, camera: str, at: float) -> None:
        """The camera's open alarms say it is back, once each (the retained ``online`` comes
        again at every reconnect); they stay open for the officer to acknowledge."""
        store = self.core.store
        prefix = f"{camera}@"
        with store.transaction() as c:
            rows = c.execute(
                "SELECT id, rule, subject, message FROM alarms WHERE rule IN (?, ?, ?)"
                " AND substr(subject, 1, ?) = ? AND acknowledged_at IS NULL"
                " AND instr(message, ?) = 0",
                (*RULES.values(), len(prefix), prefix, BACK),
            ).fetchall()
            for aid, rule, subject, message in rows:
                since = float(subject[len(prefix) :])
                if since > at:
                    continue  # an outage that began after this report: not over yet
                span = _span(max(0.0, at - since))
                c.execute(
                    "UPDATE alarms SET message = ? WHERE id = ?", (message + BACK + span, aid)
                )
                # Any alarm.* event makes the wall read its alarms again.
                store.append_event(
                    "alarm.noted",
                    at=at,
                    data={
                        "alarm_id": aid,
                        "kind": rule,
                        "camera": camera,
                        "note": f"back online after {span}",
                    },
                )
                self.core.counters["camera_state.back"] += 1


def _span(seconds: float) -> str:
    """As the wall's patterns read it (``ui/i18n_alarms.py``): whole s, min, h or d."""
    if seconds >= 86400:
        return f"{seconds // 86400:.0f} d"
    if seconds >= 3600:
        return f"{seconds // 3600:.0f} h"
    if seconds >= 60:
        return f"{seconds // 60:.0f} min"
    return f"{seconds:.0f} s"
