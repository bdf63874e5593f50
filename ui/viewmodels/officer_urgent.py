"""The wall's pop-up for urgent alarms (``officer_alarms.UrgentRule``, from the config's
``[wall]``: by default critical ones, emergencies, as the panel's emergency button raises a
critical ``emergency`` alarm at once, and intrusions: a door forced open or tampered with, a
zone's loop cut): what happened, where, and the door
camera's picture at that moment, which the core kept with the alarm (``alarm.snapshot``); "no
picture" when it has none. The first alarm queue the wall loads only primes it: alarms already
open when the wall starts are in the queue, not thrown at the officer one pop-up after another.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ui.gateway import Gateway, Reply

MAX_WAITING = 20  # pop-ups queued at most; the alarm queue holds them all anyway


@dataclass
class Urgent:
    alarm: dict[str, Any]
    picture: str = "loading"  # loading, jpeg, none
    jpeg: bytes | None = None
    taken_at: float | None = None  # when the camera's frame came

    @property
    def id(self) -> int:
        return int(self.alarm["id"])

    @property
    def door(self) -> str:
        return str(self.alarm.get("door_id") or "")


class UrgentAlerts:
    def __init__(self, gateway: Gateway, changed: Callable[[], None]) -> None:
        self.gw = gateway
        self.changed = changed
        self.waiting: list[Urgent] = []
        self.primed = False
        self.shown_ids: set[int] = set()

    @property
    def current(self) -> Urgent | None:
        return self.waiting[0] if self.waiting else None

    def fresh(self, alarms: list[dict[str, Any]], open_ids: set[int]) -> None:
        """Newly raised urgent alarms (the bell's), in the core's order: most severe first;
        ``open_ids``: every alarm still open, so that pop-ups of acknowledged ones go."""
        self.forget_acknowledged(open_ids)
        if not self.primed:
            self.primed = True
            self.shown_ids.update(int(a["id"]) for a in alarms if a.get("id") is not None)
            return
        for a in alarms:
            if a.get("id") is None or int(a["id"]) in self.shown_ids:
                continue
            u = Urgent(a)
            self.shown_ids.add(u.id)
            if len(self.waiting) >= MAX_WAITING:
                continue
            self.waiting.append(u)
            if not u.door:
                u.picture = "none"  # no door, no camera
                continue
            self.gw.request("alarm.snapshot", {"id": u.id}, self._asker(u))
        self.changed()

    def _asker(self, u: Urgent) -> Callable[[Reply], None]:
        return lambda reply: self._picture(u, reply)

    def _picture(self, u: Urgent, reply: Reply) -> None:
        r = reply.result if reply.ok and isinstance(reply.result, dict) else {}
        try:
            jpeg = base64.b64decode(str(r.get("jpeg") or ""), validate=True)
        except (binascii.Error, ValueError):
            jpeg = b""
        if jpeg[:2] == b"\xff\xd8":
            u.picture, u.jpeg, u.taken_at = "jpeg", jpeg, float(r.get("at") or 0) or None
        else:
            u.picture = "none"
        self.changed()

    def dismiss(self) -> None:
        """The officer closed the pop-up: the next one, if any."""
        if self.waiting:
            self.waiting.pop(0)
            self.changed()

    def forget_acknowledged(self, open_ids: set[int]) -> None:
        """Pop-ups of alarms acknowledged meanwhile (here or at another console) go away."""
        kept = [u for u in self.waiting if u.id in open_ids]
        if len(kept) != len(self.waiting):
            self.waiting = kept
            self.changed()
