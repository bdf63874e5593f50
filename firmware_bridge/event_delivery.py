"""Door events go to the core in order, each until the core acknowledges that it logged it.

The core connects with a clean session: whatever the bridge published while the core was down
(or restarting) reached nobody. So every door event carries an id, is kept (in the journal,
when the bridge has a state directory) and sent again until the core answers on
``door/<door>/event/ack`` with ``{"id": ...}``, which it does after its log transaction
committed. The core logs an id once, however often it arrives, and acknowledges it again.

Each door's events wait in a queue of their own and only the oldest of a door is on the wire:
the next goes out when that one is acknowledged. So the core receives a door's events in the
order they happened, also after an outage, with one round trip per event (a few milliseconds;
a door makes a handful of events a minute). An unacknowledged event is sent again every
``RETRY_S`` and at once after the bridge reconnects to the broker. Every send of a door takes a
token of that door's bucket (``ADAPTER_RULES``), under the core's limit on door events
(``compound.domain.door_event_limit``): a journal emptied after a long outage goes out at a
door's pace instead of all at once, so the core does not drop it as a flood.

One thread does the journal writes (fsync'd), the publishing and the acknowledgements, so no
disk write happens under the bridge's lock: a door state machine and the board threads never
wait on the disk.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, deque
from typing import Any

from compound.adapters.mqtt import Bus, Message
from compound.domain.door_event_limit import ADAPTER_RULES
from compound.domain.intake import TokenBucket
from compound.protocol.messages import DoorEvent, MessageError, decode_object, encode
from firmware_bridge.event_journal import EventJournal

log = logging.getLogger(__name__)

RETRY_S = 2.0  # an unacknowledged event is sent again this often
MAX_PER_DOOR = 10_000  # events kept per door; beyond it the oldest is dropped, and counted


class EventDelivery:
    def __init__(self, bus: Bus, counters: Counter[str], journal: EventJournal | None) -> None:
        self.bus = bus
        self.topics = bus.topics
        self.counters = counters
        self.journal = journal
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._owed: dict[str, deque[DoorEvent]] = {}  # per door, oldest first
        self._sent: dict[str, float] = {}  # door: monotonic time its oldest event last went out
        self._pace: dict[str, TokenBucket] = {}  # per door, on the delivery thread only
        self._thread: threading.Thread | None = None

    # -- from any thread -------------------------------------------------------------------

    def start(self) -> None:
        """Read back what the journal still owes the core, then start delivering."""
        for event in self.journal.open() if self.journal is not None else []:
            self._owed.setdefault(event.door_id, deque()).append(event)
            self.counters["events.from_journal"] += 1
        self._thread = threading.Thread(target=self._run, name="door-events", daemon=True)
        self._thread.start()

    def add(self, event: DoorEvent) -> None:
        self._inbox.put(("event", event))

    def on_ack(self, msg: Message) -> None:
        """The core logged an event: ``door/<door>/event/ack`` ``{"id": ...}``."""
        parts = self.topics.split(msg.topic)
        try:
            event_id = decode_object(msg.payload).get("id")
        except MessageError:
            event_id = None
        if len(parts) != 4 or not isinstance(event_id, str):
            self.counters["events.bad_ack"] += 1
            return
        self._inbox.put(("ack", (parts[1], event_id)))

    def on_connect(self) -> None:
        self._inbox.put(("connect", None))

    def owed(self) -> int:
        return sum(len(q) for q in list(self._owed.values()))

    def close(self, flush_s: float = 2.0) -> None:
        """Stop after the events queued so far are journaled and, while the broker is there,
        delivered (for at most ``flush_s``); what is left stays in the journal."""
        self._inbox.put(("stop", time.monotonic() + (flush_s if self.bus.connected else 0.0)))
        if self._thread is not None:
            self._thread.join(flush_s + 5.0)
        if self.journal is not None:
            self.journal.close()

    # -- on the delivery thread ------------------------------------------------------------

    def _run(self) -> None:
        deadline: float | None = None
        while deadline is None or (self.owed() and time.monotonic() < deadline):
            try:
                kind, item = self._inbox.get(timeout=0.1)
            except queue.Empty:
                kind, item = "tick", None
            try:
                if kind == "event":
                    self._add(item)
                elif kind == "ack":
                    self._acked(*item)
                elif kind == "connect":
                    self._sent.clear()  # everything owed goes out again now
                elif kind == "stop":
                    deadline = item
                self._send_due()
            except OSError:
                # The journal's disk failed (full?): the events stay owed in memory, and the
                # count shows in the bridge's status.
                self.counters["events.journal_errors"] += 1
                log.exception("door event journal: write failed")

    def _add(self, event: DoorEvent) -> None:
        owed = self._owed.setdefault(event.door_id, deque())
        owed.append(event)
        if self.journal is not None:
            self.journal.add(event)
        if len(owed) > MAX_PER_DOOR:
            # The core has not answered for this door for a very long time (or does not know
            # it): keep the disk from filling up.
            dropped = owed.popleft()
            self._sent.pop(event.door_id, None)
            if self.journal is not None:
                self.journal.acked(str(dropped.id))
            self.counters["events.dropped"] += 1
            log.warning("door %s: event %s dropped, unacknowledged", event.door_id, dropped.id)

    def _acked(self, door: str, event_id: str) -> None:
        owed = self._owed.get(door)
        if not owed or owed[0].id != event_id:
            self.counters["events.stale_ack"] += 1  # a second ack of one already taken
            return
        owed.popleft()
        self._sent.pop(door, None)
        self.counters["events.acked"] += 1
        if self.journal is not None:
            self.journal.acked(event_id)
            if self.journal.compact_due(self.owed()):
                self.journal.rewrite([ev for q in self._owed.values() for ev in q])

    def _send_due(self) -> None:
        if not self.bus.connected:
            return
        now = time.monotonic()
        for door, owed in self._owed.items():
            if not owed:
                continue
            sent = self._sent.get(door)
            if sent is not None and now - sent < RETRY_S:
                continue
            pace = self._pace.setdefault(door, TokenBucket(float(ADAPTER_RULES.burst), now))
            if not pace.take(now, ADAPTER_RULES.rate_per_s, ADAPTER_RULES.burst):
                continue  # tried again on the next tick (every 0.1 s at most)
            if sent is not None:
                self.counters["events.resent"] += 1
            self._sent[door] = now
            self.bus.publish(self.topics.door_event(door), encode(owed[0]))
