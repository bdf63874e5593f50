"""The decision worker: door requests are decided on a thread of their own, fairly.

The bus's network thread only decodes a request, checks who may send it and queues it here
(``compound.domain.intake``: per-door buckets and queues); it is never held by a decision's
database write, so API requests, door events and other doors' requests keep flowing. One worker
thread decides, taking each waiting door in turn. The queues are per door and sender (the
door's reader, its panel, the face service: ``compound.protocol.access_channels``), so a sender
that floods is shed at its own queue, counted, and reported once in a while as a ``flood`` alarm
for the officer, while the same door's other senders are still heard.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from compound.domain.intake import DoorIntake, IntakeRules
from compound.protocol.messages import AccessRequest

log = logging.getLogger(__name__)

FLOOD_ALARM_EVERY_S = 600.0  # one flood alarm per door per ten minutes at most


class DecisionWorker:
    def __init__(
        self,
        decide: Callable[[AccessRequest], object],
        on_flood: Callable[[str, int], None],
        rules: IntakeRules,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._decide = decide
        self._on_flood = on_flood
        self._monotonic = monotonic
        self._intake: DoorIntake[AccessRequest] = DoorIntake(rules)
        self._cond = threading.Condition()
        self._flood_alarmed: dict[str, float] = {}  # when each door's last flood alarm was due
        self._reports: dict[str, int] = {}  # flood alarms due: door -> requests shed so far
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._progress = monotonic()  # when a decision last finished, or the queue was empty

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="decisions", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(10)

    def admit(self, key: str) -> bool:
        """Whether a request on ``key`` (a door's channel: ``compound.protocol.access_channels``)
        is within its rate (asked before it is decoded)."""
        now = self._monotonic()
        with self._cond:
            if self._intake.admit(key, now):
                return True
            self._flooding(key, now)
            return False

    def put(self, key: str, req: AccessRequest) -> str | None:
        """Queue an admitted request on ``key`` for a decision; or say why it was shed."""
        with self._cond:
            why = self._intake.put(key, req)
            if why is None:
                self._cond.notify()
            else:
                self._flooding(key, self._monotonic())
            return why

    def _flooding(self, door: str, now: float) -> None:
        last = self._flood_alarmed.get(door, -FLOOD_ALARM_EVERY_S)
        if now - last >= FLOOD_ALARM_EVERY_S:
            self._flood_alarmed[door] = now
            self._reports[door] = self._intake.shed[door]
            self._cond.notify()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stuck_for(self) -> float:
        """How long requests have waited with no decision finishing (0 when none wait)."""
        with self._cond:
            if not len(self._intake):
                return 0.0
            return self._monotonic() - self._progress

    @property
    def shed(self) -> dict[str, int]:
        with self._cond:
            return dict(self._intake.shed)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not len(self._intake) and not self._reports and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                taken = self._intake.take()
                reports, self._reports = self._reports, {}
            for door, count in reports.items():
                try:
                    self._on_flood(door, count)
                except Exception:
                    log.exception("reporting a flood at %s failed", door)
            if taken is not None:
                try:
                    self._decide(taken[1])
                except Exception:
                    # One request's failure (a full disk, a bug) must not stop the doors.
                    log.exception("deciding request %s at %s failed", taken[1].id, taken[0])
            self._progress = self._monotonic()
