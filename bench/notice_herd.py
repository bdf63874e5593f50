"""Every door panel told at once that the notices changed: how deep the core's request queue
gets and when the last panel has its list, asking at once against spread over a window.

The panels are the real view models (``ui.viewmodels.door_notices.DoorNotices``), each ticked
once a second at its own phase as the screen ticks it, with the random source seeded. Their
questions go, as JSON on ``api/<panel>/notice.list`` with a reply topic and a correlation, into
the core's real API worker (``ApiWorker``: the bounded queue of 200, one thread) and its real
request handler (``api_handler``: the asker taken from the topic, ``notices.asked`` on the real
store), and the answers come back through the same decoding a panel's bus uses. Only the broker
is left out: a message put on the worker's queue stands for one arriving at the core. A question
shed by a full queue is never answered, and the panel hears so after the gateway's timeout, as
over the bus. The depth is the questions put on the queue and not yet answered (the one being
served counted), read at every put.
"""

from __future__ import annotations

import heapq
import json
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compound.adapters.bus_types import ApiWorker, api_handler, read_reply, request_body
from compound.domain.clock import SystemClock
from compound.ports import ApiError, ApiMethod, Message
from compound.protocol.topics import Topics
from ui.gateway import Live, Reply, ReplyCallback
from ui.viewmodels.door_notices import DoorNotices

TIMEOUT_S = 5.0  # the panel gateway's wait for an answer (ui.gateway.MqttGateway)
TOPICS = Topics("bench")


@dataclass
class Herd:
    panels: int
    spread_s: float
    peak_depth: int  # questions waiting for or in the core's API thread, at most
    shed: int  # questions dropped on a full queue (asked again after the panel's backoff)
    questions: int
    last_list_s: float  # from the word to the last panel showing its list
    median_list_s: float


class CoreQueue:
    """The core's API worker and handler for ``notice.list``, fed by the panels' gateways."""

    def __init__(self, method: ApiMethod) -> None:
        self.counters: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.depth = self.peak = self.put = 0
        self.waiting: dict[str, Callable[[bytes], None]] = {}
        worker = ApiWorker("bench-notices", self.counters)
        handle = api_handler(
            {"notice.list": method}, (Exception,), 65536, self._publish, TOPICS, self.counters
        )
        self.enqueue = worker.wrap(handle)

    def ask(self, msg: Message, corr: str, answered: Callable[[bytes], None]) -> None:
        with self.lock:
            self.waiting[corr] = answered
            self.depth += 1
            self.put += 1
            self.peak = max(self.peak, self.depth)
        shed = self.counters["api.shed"]
        self.enqueue(msg)
        if self.counters["api.shed"] != shed:  # dropped: never answered
            with self.lock:
                self.depth -= 1
                self.waiting.pop(corr, None)

    def _publish(self, topic: str, payload: bytes, **kw: Any) -> None:
        corr = (kw.get("correlation") or b"").decode()
        with self.lock:
            self.depth -= 1
            answered = self.waiting.pop(corr, None)
        if answered is not None:
            answered(payload)


class PanelGateway:
    """One panel's side: its questions to the core, the answers handed to the main loop."""

    def __init__(self, core: CoreQueue, user: str, inbox: queue.Queue[Callable[[], None]]) -> None:
        self.core, self.user, self.inbox = core, user, inbox
        self.sent = 0
        self.deadlines: list[tuple[float, int, ReplyCallback]] = []
        self.done: set[int] = set()

    def request(self, method: str, params: dict[str, Any], callback: ReplyCallback) -> None:
        self.sent += 1
        n, corr = self.sent, f"{self.user}-{self.sent}"
        reply_to = TOPICS.reply(self.user, method)
        body = request_body(params, reply_to, corr)
        msg = Message(
            TOPICS.api(self.user, method),
            json.dumps(body).encode(),
            response_topic=reply_to,
            correlation=corr.encode(),
        )

        def answered(payload: bytes) -> None:
            try:
                reply = Reply(True, read_reply(method, payload))
            except ApiError as e:
                reply = Reply(False, error=str(e))
            self.inbox.put(lambda: self._answer(n, callback, reply))

        self.deadlines.append((time.time() + TIMEOUT_S, n, callback))
        self.core.ask(msg, corr, answered)

    def _answer(self, n: int, callback: ReplyCallback, reply: Reply) -> None:
        if n not in self.done:
            self.done.add(n)
            callback(reply)

    def expire(self, now: float) -> None:
        """Questions the core never answered: lost, as the bus gateway says after its wait."""
        for at, n, callback in list(self.deadlines):
            if n in self.done:
                self.deadlines.remove((at, n, callback))
            elif now >= at:
                self.deadlines.remove((at, n, callback))
                self._answer(n, callback, Reply(False, error="no answer", lost=True))


def run(users: list[tuple[str, str]], method: ApiMethod, spread_s: float, seed: int) -> Herd:
    """``users``: (broker user, door) of each panel; the word goes to all of them at once."""
    rng = random.Random(seed)
    core = CoreQueue(method)
    inbox: queue.Queue[Callable[[], None]] = queue.Queue()
    clock = SystemClock()
    gateways: list[PanelGateway] = []
    boards: list[DoorNotices] = []
    got: dict[int, float] = {}
    for i, (user, door) in enumerate(users):
        gw = PanelGateway(core, user, inbox)

        board = DoorNotices(gw, clock, door, lambda: None, spread_s, rng.random)  # type: ignore[arg-type]
        board.take = _counting(board, got, i)  # type: ignore[method-assign]
        gateways.append(gw)
        boards.append(board)
    ticks = [(time.time() + rng.random(), i) for i in range(len(boards))]
    heapq.heapify(ticks)
    word = Live(["notice"], b'{"changed": "%d"}' % seed, retained=True)
    start = time.time()
    for board in boards:
        board.on_live(word)
    while len(got) < len(boards):
        at, i = heapq.heappop(ticks)
        while True:  # answers that came in the meantime, then the next panel's tick
            wait = at - time.time()
            try:
                fn = inbox.get(timeout=max(0.0, wait)) if wait > 0 else inbox.get_nowait()
            except queue.Empty:
                break
            fn()
            if len(got) == len(boards):
                break
        now = time.time()
        gateways[i].expire(now)
        boards[i].tick(now)
        heapq.heappush(ticks, (at + 1.0, i))
        if now - start > 120:
            raise RuntimeError(f"only {len(got)} of {len(boards)} panels had their list")
    times = sorted(t - start for t in got.values())
    return Herd(
        panels=len(boards),
        spread_s=spread_s,
        peak_depth=core.peak,
        shed=core.counters["api.shed"],
        questions=core.put,
        last_list_s=times[-1],
        median_list_s=times[len(times) // 2],
    )


def _counting(
    board: DoorNotices, got: dict[int, float], i: int
) -> Callable[[list[dict[str, str]]], None]:
    """The board's ``take``, noting when this panel first had a list after the word."""
    take = board.take

    def counted(notices: list[dict[str, str]]) -> None:
        got.setdefault(i, time.time())
        take(notices)

    return counted
