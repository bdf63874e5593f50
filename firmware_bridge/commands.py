"""What the core tells the bridge: door commands and the site's lockdown state.

A command is carried out only if the command guard passes it and its door's state machine can
act on it now. Either way it is answered on ``door/<door>/ack``: ``ok: true`` once carried out
(after the board confirmed the coil), otherwise ``ok: false`` with the reason: the guard's
(``expired``, ``replayed``, ``bad_mac``, ``issued_before_start``, ``out_of_order``,
``retained``, ``malformed``...) or the door's (``lockdown``, ``stopping``, ``offline``,
``fire``, ``board_down``). A refused command opens nothing, but whoever sent it is told. In
lockdown only an unlock carrying the core's signed ``override`` flag is carried out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from compound.adapters.mqtt import Message
from compound.protocol.messages import MessageError, decode_object
from firmware_bridge.boards import Ack, Door
from firmware_bridge.bus_side import Publisher
from firmware_bridge.command_guard import CommandGuard, Refused, command_id
from firmware_bridge.door_state import Outputs

log = logging.getLogger(__name__)

Apply = Callable[[Door, Outputs, Ack | None], None]


class CoreCommands:
    def __init__(
        self,
        guard: CommandGuard,
        doors: dict[str, Door],
        publisher: Publisher,
        lock: threading.RLock,
        stopping: threading.Event,
        apply: Apply,
    ) -> None:
        self.guard = guard
        self.doors = doors
        self.publisher = publisher
        self.topics = publisher.topics
        self.counters = publisher.counters
        self.lock = lock  # the bridge's: the door state machines are used under it
        self.stopping = stopping  # set when the bridge stops: nothing is released any more
        self.apply = apply
        self.lockdown = False

    def on_command(self, msg: Message) -> None:
        parts = self.topics.split(msg.topic)
        topic_door = parts[1] if len(parts) == 3 else ""
        try:
            cmd = self.guard.check(topic_door, msg.payload, msg.retain)
        except Refused as e:
            log.warning("door command on %s refused: %s", msg.topic, e)
            # Answered on the topic's door: the ACL lets the bridge write only its own doors'.
            if topic_door in self.doors:
                door = self.doors[topic_door]
                self.publisher.ack(door, command_id(msg.payload), False, e.reason)
            return
        door = self.doors[cmd.door_id]
        ack: Ack = partial(self.publisher.ack, door, cmd.id)
        with self.lock:
            m = door.machine
            unlock = cmd.action == "unlock"
            # A lockdown override counts only as signed (the guard checked the MAC over it).
            override = cmd.override is True
            why = (
                "stopping" if unlock and self.stopping.is_set() else m.refusal(cmd.action, override)
            )
            if why is not None:
                self.counters["command.refused_" + why] += 1
                ack(False, why)
                return
            if unlock and override and m.lockdown:
                self.counters["command.lockdown_override"] += 1
            out = m.unlock(cmd.duration_s, cmd.reason, override) if unlock else m.lock(cmd.reason)
            self.apply(door, out, ack)

    def on_lockdown(self, msg: Message) -> None:
        """The core's retained site state: ``{"on": true|false, "at": ...}``."""
        if not msg.payload:
            return  # the retained state was cleared; keep what we know
        try:
            on = decode_object(msg.payload).get("on")
        except MessageError:
            on = None
        if not isinstance(on, bool):
            self.counters["lockdown.malformed"] += 1
            log.warning("unreadable lockdown state on %s", msg.topic)
            return
        self.lockdown = on
        with self.lock:
            for door in self.doors.values():
                self.apply(door, door.machine.set_lockdown(on), None)
