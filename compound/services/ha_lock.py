"""Home Assistant's lock, commanded through the core.

The bridge's discovery configs give each door's lock the command topic
``ha/<ha user>/door/<door>/set``, which only that ``ha`` broker user may write (the ACL), so the
user in the topic is who asked, as ``api/<user>/...`` is for a console. ``UNLOCK`` becomes a
remote open attributed to that user (``door.remote_unlock`` with ``actor`` = the user,
``by: home assistant``), sent with the door's open time like every other; during a lockdown it
is refused (Home Assistant has no override) and the refusal is logged as
``door.remote_unlock_refused`` with the same actor, so the officer sees who tried. ``LOCK`` is
not acted on: a door relocks by itself after its open time or when it closes.

The work (the lockdown check, the log, the command) runs on a worker thread of its own, as API
requests do (``ApiWorker``): on the bus's network thread a slow or failing database write
would hold up every message behind it, door requests included. At most 32 commands wait;
beyond that they are dropped and counted (``ha_lock.shed``), and Home Assistant may send again.
"""

from __future__ import annotations

import logging

from compound.adapters.bus_types import ApiWorker
from compound.adapters.mqtt import Message
from compound.domain.model import InvalidInput
from compound.services.core import Core
from compound.services.extension import Offers

log = logging.getLogger(__name__)

REASON = "Home Assistant lock"


class HaLock:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.topics = core.topics
        self.filter = self.topics.all("ha/+/door/+/set")
        self._worker = ApiWorker("ha-lock", core.counters, size=32, shed="ha_lock.shed")

    def offers(self) -> Offers:
        return Offers()

    def start(self) -> None:
        self._worker.start()  # again after a stop
        self.core.bus.subscribe(self.filter, self._worker.wrap(self.on_command))

    def stop(self) -> None:
        self.core.bus.unsubscribe(self.filter)
        self._worker.stop()

    def on_command(self, msg: Message) -> None:
        parts = self.topics.split(msg.topic)  # ["ha", user, "door", door, "set"]
        counters = self.core.counters
        if len(parts) != 5 or msg.retain:
            counters["ha_lock.ignored"] += 1  # a retained command would open again on restart
            return
        user, door = parts[1], parts[3]
        payload = msg.payload.decode("utf-8", "replace").strip()
        if payload != "UNLOCK":
            counters["ha_lock.not_unlock"] += 1
            return
        try:
            self.core.unlock(door, REASON, "home assistant", user)
        except InvalidInput as e:
            counters["ha_lock.refused"] += 1
            log.warning("Home Assistant unlock of %s by %s refused: %s", door, user, e)
            if self.core.store.door(door) is not None:
                data = {"actor": user, "by": "home assistant", "refusal": str(e)}
                self.core.store.append_event("door.remote_unlock_refused", door_id=door, data=data)
            return
        counters["ha_lock.unlock"] += 1
