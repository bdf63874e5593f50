"""A thread that runs the bus's messages of one kind off the network thread, senders in turn.

Re-exported by ``compound.adapters.bus_types``, where the services find it.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections import Counter
from collections.abc import Callable

from compound.ports import Handler, Message

log = logging.getLogger("compound.adapters.mqtt")


class ApiWorker:
    """Runs API requests on a thread of its own, off the network thread.

    An API method may take a while on a large compound (a report, a search); on the network
    thread it would hold up every message behind it, door requests included. Requests wait in
    a bounded queue; beyond it they are dropped and counted (the asker times out and may ask
    again), so a client that floods the API cannot grow the core's memory either.

    With ``sender`` (who sent a message: the API's asking user, a door's call topic), each
    sender waits in a queue of its own of at most ``per_sender`` messages, and the senders are
    served in turn: one device that floods fills its own queue and is shed there, while the
    others (the officer's wall locking the site down) are still taken and answered promptly.
    Each sender's messages keep their order.
    """

    def __init__(
        self,
        name: str,
        counters: Counter[str] | None = None,
        size: int = 200,
        shed: str = "api.shed",
        sender: Callable[[Message], str] | None = None,
        per_sender: int = 32,
    ) -> None:
        self._size, self._per_sender = size, per_sender if sender is not None else size
        self._sender = sender or (lambda msg: "")
        self._waiting: dict[str, collections.deque[tuple[Handler, Message]]] = {}
        self._count = 0
        self._cond = threading.Condition()
        self._counters = counters if counters is not None else Counter()
        self._shed = shed  # the counter of messages dropped on a full queue
        self._name = f"api-{name}"
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def start(self) -> None:
        """Serve again after ``stop`` (a bus started again keeps its handlers)."""
        with self._cond:
            if not self._stopping:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Take nothing more, drop what waits, and wait for the message in hand: its owner
        closes the store next, and a handler still running then would use a closed database
        (SQLite can crash the process). What is dropped is asked again: the asker's request
        times out, a door's event is sent again until the core says it is logged."""
        with self._cond:
            self._stopping = True
            self._waiting.clear()
            self._count = 0
            self._cond.notify_all()
            thread = self._thread
        if thread is not threading.current_thread():
            thread.join(timeout)

    def wrap(self, handler: Handler) -> Handler:
        def queued(msg: Message) -> None:
            who = self._sender(msg)
            with self._cond:
                if self._stopping:
                    return
                mine = self._waiting.setdefault(who, collections.deque())
                if self._count >= self._size or len(mine) >= self._per_sender:
                    if not mine:
                        del self._waiting[who]
                    self._counters[self._shed] += 1
                    return
                mine.append((handler, msg))
                self._count += 1
                self._cond.notify()

        return queued

    def _take(self) -> tuple[Handler, Message] | None:
        with self._cond:
            self._cond.wait_for(lambda: self._count > 0 or self._stopping)
            if self._stopping:
                return None
            who, mine = next(iter(self._waiting.items()))  # the sender waiting longest
            item = mine.popleft()
            del self._waiting[who]  # to the back of the line, if it has more
            if mine:
                self._waiting[who] = mine
            self._count -= 1
            return item

    def _run(self) -> None:
        while (item := self._take()) is not None:
            handler, msg = item
            try:
                handler(msg)
            except Exception:
                log.exception("api request on %s failed", msg.topic)
