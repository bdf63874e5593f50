"""Logging door decisions without waiting behind a long write (a CSV import, above all).

A decision is logged durably before the reader is answered, and a decision that cannot be
logged is not carried out. The hash-chained log lives in the database, whose write lock a
25,000-row import holds for one to three seconds (all or nothing: one transaction); a decision
that waited for it waited that long, and so did every door behind it.

So the decision thread asks for the write lock for at most ``FAST_WAIT_S``. Had, the decision is
appended to the log as before (the usual case: nothing changes). Not had, it is committed to
the decision journal instead (``compound.store.decision_journal``: a small SQLite file of its
own, ``synchronous=FULL`` like the database) and the reader is answered at once; a merger
thread appends the journal to the log, in order, as soon as the lock is free. While anything
waits in the journal, later decisions go there too, behind it, so the log keeps the order in
which the doors were answered. Nothing answered is lost: a decision is in the log or in the
journal before its result leaves, a crash between the log's commit and the journal forgetting
merges nothing twice, and the core merges what a killed core's journal held when it starts.

What this costs: a journaled decision reaches the log, the event stream and the officer's wall
when the import commits (seconds later), and the access hooks (a station pass's uses counted)
run then, on the merger's thread.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

from compound.domain.access import Decision
from compound.domain.model import Event
from compound.protocol.messages import AccessRequest
from compound.services.extension import AccessHook
from compound.store.db import Store, StoreBusy, StoreError
from compound.store.decision_journal import DecisionJournal, journal_path, merge

log = logging.getLogger(__name__)

FAST_WAIT_S = 0.02  # longer than a decision's or a registration's write, far shorter than an import
RETRY_S = 0.5  # the log could not be written (busy past its timeout, a full disk): try again


class DecisionLog:
    def __init__(
        self,
        store: Store,
        access_hooks: Sequence[AccessHook],
        counters: Counter[str],
        wait_s: float = FAST_WAIT_S,
    ) -> None:
        self.store = store
        self.access_hooks = access_hooks  # the core's list, filled when its extensions start
        self.counters = counters
        self.wait_s = wait_s
        self.journal: DecisionJournal | None = None
        self._cond = threading.Condition()
        self._pending = 0  # entries in the journal, not yet in the log
        self._waiting: dict[int, tuple[AccessRequest, Decision]] = {}  # for the access hooks
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if str(self.store.path) == ":memory:":
            return  # nothing to keep a journal beside: decisions wait for the lock as before
        try:
            self.journal = DecisionJournal(journal_path(self.store.path))
        except StoreError as e:
            log.error("door decisions will wait for the log's write lock: %s", e)
            return
        self._pending = self.journal.count()
        if self._pending:
            log.warning("%d door decisions in the journal from before: merging", self._pending)
        while self._pending and self._merge(self.journal):
            pass  # before any new decision; if the log is busy the merger thread goes on
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="decision-merger", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self.journal is not None:
            while self._pending and self._merge(self.journal):
                pass  # what is left if this fails stays in the journal: merged at the next start
            self.journal.close()
            self.journal = None

    @property
    def pending(self) -> int:
        with self._cond:
            return self._pending

    def append(
        self,
        req: AccessRequest,
        decision: Decision,
        at: float,
        data: dict[str, Any],
        uplink: dict[str, Any] | None,
    ) -> Event | None:
        """Log one decision durably: its event, or None when it went into the journal (then
        the access hooks run once it is merged). ``StoreError`` if neither could be written."""
        type_ = "access.granted" if decision.granted else "access.denied"
        waiting = (req, decision)
        return self._log(type_, at, req.door_id, decision.person_id, data, uplink, waiting)

    def record(self, type_: str, door: str, data: dict[str, Any]) -> Event | None:
        """Another door decision's event (a remote open), logged the same way, without hooks."""
        return self._log(type_, self.store.clock.now(), door, None, data, None, None)

    def _log(
        self,
        type_: str,
        at: float,
        door: str,
        person: int | None,
        data: dict[str, Any],
        uplink: dict[str, Any] | None,
        waiting: tuple[AccessRequest, Decision] | None,
    ) -> Event | None:
        with self._cond:
            behind = self._pending > 0
        journal = self.journal
        if journal is None:
            return self._append(None, type_, at, door, person, data, uplink)
        if not behind:
            try:
                return self._append(self.wait_s, type_, at, door, person, data, uplink)
            except StoreBusy:
                pass  # a long write holds the log: this decision goes into the journal
        entry = journal.add(type_, at, door, person, data, uplink)
        with self._cond:
            self._pending += 1
            if waiting is not None:
                self._waiting[entry] = waiting
            self._cond.notify()
        self.counters["access.journaled"] += 1
        return None

    def _append(
        self,
        wait_s: float | None,
        type_: str,
        at: float,
        door: str,
        person: int | None,
        data: dict[str, Any],
        uplink: dict[str, Any] | None,
    ) -> Event:
        with self.store.transaction(wait_s=wait_s):
            return self.store.append_event(
                type_, at=at, door_id=door, person_id=person, data=data, uplink=uplink
            )

    def run_hooks(self, req: AccessRequest, decision: Decision, event: Event) -> None:
        for hook in list(self.access_hooks):
            try:
                hook(req, decision, event)
            except Exception:
                log.exception("access hook failed")

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                while not self._pending and not self._stopping.is_set():
                    self._cond.wait()
            if self._stopping.is_set():
                return
            if self.journal is None or not self._merge(self.journal):
                self._stopping.wait(RETRY_S)

    def _merge(self, journal: DecisionJournal) -> bool:
        """Move the journal into the log once; False if the log cannot be written now."""
        try:
            taken = merge(self.store, journal)
        except StoreError as e:
            self.counters["access.journal_merge_failed"] += 1
            log.warning("door decisions wait in the journal: the log cannot be written: %s", e)
            return False
        with self._cond:
            self._pending = max(0, self._pending - len(taken))
            hooks = [(self._waiting.pop(e.id, None), ev) for e, ev in taken]
        for waiting, event in hooks:
            if waiting is not None and event is not None:
                self.run_hooks(waiting[0], waiting[1], event)
        return True
