"""How the UI reaches the core: only over the bus, behind a small interface.

``MqttGateway`` runs every request on a worker thread (a request waits for the core's answer,
which must never freeze a touchscreen) and hands results and live messages back through a
``dispatch`` function; the Kivy app passes one built on ``Clock.schedule_once`` so callbacks
run on the UI thread. ``LocalGateway`` serves the same interface in-process for fast tests.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from compound.adapters.mqtt import ApiError, Bus, BusConfig, BusError, Message, topic_matches
from compound.domain.model import InvalidInput
from compound.protocol.topics import Topics

log = logging.getLogger(__name__)

Dispatch = Callable[[Callable[[], None]], None]


@dataclass(frozen=True)
class Reply:
    """The answer to one request: ``result`` when ``ok``, otherwise a message for a person."""

    ok: bool
    result: Any = None
    error: str = ""
    lost: bool = False  # no answer came (timed out, or no bus): the core may be down

    @property
    def unavailable(self) -> bool:
        """The core does not offer this method (yet): the screen says so instead of failing."""
        return not self.ok and self.error.startswith("unknown method")


@dataclass(frozen=True)
class Live:
    """One message from the bus: the topic levels after ``compound/<site>/`` and the body."""

    levels: list[str]
    payload: bytes
    retained: bool = False

    def json(self) -> Any:
        try:
            return json.loads(self.payload)
        except ValueError:
            return None


ReplyCallback = Callable[[Reply], None]
LiveCallback = Callable[[Live], None]
Subscription = tuple[str, LiveCallback]  # (pattern relative to the site root, callback)


class Gateway(Protocol):
    def request(
        self,
        method: str,
        params: dict[str, Any],
        callback: ReplyCallback | None = None,
        timeout: float | None = None,
    ) -> None:
        """``timeout``: how long to wait for this answer, when longer than the usual (a face
        enrolment or a plan upload is decoded by the service while the manager waits)."""

    def subscribe(self, pattern: str, callback: LiveCallback) -> None:
        """``pattern`` is relative to the site root, e.g. ``door/+/state`` or ``events/#``.
        Waits for the broker's confirmation: for start-up, before the window shows; once it
        is up, use ``subscribe_then``."""

    def subscribe_then(
        self, subs: Sequence[Subscription], done: Callable[[], None] | None = None
    ) -> None:
        """Listen on every ``(pattern, callback)`` without waiting on the caller's thread;
        ``done`` is told once the broker has confirmed them all (while disconnected: once they
        are kept for the next connection, which counts as up only after confirming them). A
        list read from ``done`` misses no change: a later change comes as a message."""

    def publish(self, relative_topic: str, payload: dict[str, Any] | bytes) -> None: ...

    def subscribe_then_publish(
        self,
        pattern: str,
        callback: LiveCallback,
        relative_topic: str,
        payload: dict[str, Any] | bytes,
        done: Callable[[bool], None] | None = None,
    ) -> None:
        """Listen on ``pattern`` and, once the broker has confirmed that, publish; ``done``
        says whether it went out (False: not connected, nothing sent, nothing subscribed).
        For a signal whose answer may come at once, such as a call's first state."""

    def unsubscribe(self, pattern: str) -> None: ...

    @property
    def connected(self) -> bool: ...

    def on_connection(self, callback: Callable[[bool], None]) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def immediate(fn: Callable[[], None]) -> None:
    fn()


class MqttGateway:
    """The production gateway on ``compound.adapters.mqtt.Bus``."""

    def __init__(
        self,
        bus_config: BusConfig,
        topics: Topics,
        client_id: str,
        dispatch: Dispatch = immediate,
        timeout: float = 5.0,
    ) -> None:
        self.topics = topics
        self.bus = Bus(bus_config, topics, client_id)
        self.dispatch = dispatch
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ui-bus")
        self._conn_callbacks: list[Callable[[bool], None]] = []
        self.bus.on_connect_hooks.append(lambda: self._tell_connection(True))
        self.bus.on_disconnect_hooks.append(lambda: self._tell_connection(False))
        self._starting = threading.Event()

    @property
    def connected(self) -> bool:
        return self.bus.connected

    def on_connection(self, callback: Callable[[bool], None]) -> None:
        self._conn_callbacks.append(callback)

    def _tell_connection(self, up: bool) -> None:
        for cb in list(self._conn_callbacks):
            self.dispatch(lambda cb=cb: cb(up))  # type: ignore[misc]

    def start(self) -> None:
        # Connecting may take seconds when the broker is away; the UI keeps drawing meanwhile
        # and shows the offline banner until the connection comes up.
        def connect() -> None:
            try:
                self.bus.start(announce=log.warning)
            except BusError as e:
                log.error("%s", e)
                self._tell_connection(False)

        self._submit(connect)

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.bus.stop()

    def _submit(self, work: Callable[[], None]) -> None:
        try:
            self._pool.submit(work)
        except RuntimeError:
            # Stopped: a screen closing may still ask (a clock event in its last frame). Its
            # answer would have nowhere to go; raising on the UI thread stopped the screen.
            log.debug("gateway stopped: dropped a request")

    def request(
        self,
        method: str,
        params: dict[str, Any],
        callback: ReplyCallback | None = None,
        timeout: float | None = None,
    ) -> None:
        wait = timeout or self.timeout

        def work() -> None:
            try:
                if not self.bus.wait_connected(self.timeout):
                    unreachable = "the core is not reachable now; try again"
                    reply = Reply(False, error=unreachable, lost=True)
                else:
                    reply = Reply(True, self.bus.request(method, params, timeout=wait))
            except ApiError as e:
                reply = Reply(False, error=str(e))
            except BusError as e:
                reply = Reply(False, error=str(e), lost=True)
            if callback is not None:
                self.dispatch(lambda: callback(reply))

        self._submit(work)

    def subscribe(self, pattern: str, callback: LiveCallback) -> None:
        prefix = self.topics.root + "/"

        def handler(msg: Message) -> None:
            live = Live(msg.topic[len(prefix) :].split("/"), msg.payload, msg.retain)
            self.dispatch(lambda: callback(live))

        self.bus.subscribe(self.topics.all(pattern), handler)

    def _subscribe_off_ui(
        self,
        subs: Sequence[Subscription],
        done: Callable[[bool], None] | None,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Subscribe on the worker thread: each subscription waits for the broker's SUBACK (up
        to 5 s when it does not answer), which must not freeze the screen. With ``then`` (a
        signal to send once heard), only while connected: a signal is not queued while
        disconnected, sent minutes later it would ring a flat long after the visitor left.
        ``done`` is told through the dispatch whether it was done."""

        def work() -> None:
            ok = then is None or self.bus.wait_connected(self.timeout)
            if ok:
                for pattern, callback in subs:
                    self.subscribe(pattern, callback)
                if then is not None:
                    then()
            if done is not None:
                self.dispatch(lambda: done(ok))

        self._submit(work)

    def subscribe_then(
        self, subs: Sequence[Subscription], done: Callable[[], None] | None = None
    ) -> None:
        self._subscribe_off_ui(list(subs), None if done is None else lambda _ok: done())

    def publish(self, relative_topic: str, payload: dict[str, Any] | bytes) -> None:
        self.bus.publish(self.topics.all(relative_topic), payload, qos=1)

    def subscribe_then_publish(
        self,
        pattern: str,
        callback: LiveCallback,
        relative_topic: str,
        payload: dict[str, Any] | bytes,
        done: Callable[[bool], None] | None = None,
    ) -> None:
        self._subscribe_off_ui(
            [(pattern, callback)], done, then=lambda: self.publish(relative_topic, payload)
        )

    def unsubscribe(self, pattern: str) -> None:
        self.bus.unsubscribe(self.topics.all(pattern))


class LocalGateway:
    """In-process stand-in: API methods are plain functions, publishes go to local subscribers.

    For viewmodel tests; it refuses exactly like the core does (``InvalidInput`` → error reply,
    missing method → "unknown method"); a method that raises ``BusError`` stands for a question
    that got no answer (a lost reply).
    """

    def __init__(self, api: dict[str, Callable[[dict[str, Any]], Any]] | None = None) -> None:
        self.api = dict(api or {})
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.published: list[tuple[str, Any]] = []
        self._subs: list[tuple[str, LiveCallback]] = []
        self._conn: list[Callable[[bool], None]] = []
        self._connected = True
        self.held: list[Callable[[], None]] = []
        self.hold_replies = False  # keep replies back, to test what a screen shows meanwhile
        self.unconfirmed: list[Callable[[], None]] = []
        self.hold_subscriptions = False  # keep ``subscribe_then`` back until ``confirm``

    @property
    def connected(self) -> bool:
        return self._connected

    def set_connected(self, up: bool) -> None:
        self._connected = up
        for cb in list(self._conn):
            cb(up)

    def on_connection(self, callback: Callable[[bool], None]) -> None:
        self._conn.append(callback)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def request(
        self,
        method: str,
        params: dict[str, Any],
        callback: ReplyCallback | None = None,
        timeout: float | None = None,
    ) -> None:
        self.requests.append((method, params))
        fn = self.api.get(method)
        if fn is None:
            reply = Reply(False, error=f"unknown method {method!r}")
        else:
            try:
                reply = Reply(True, fn(params))
            except InvalidInput as e:
                reply = Reply(False, error=str(e))
            except BusError as e:
                reply = Reply(False, error=str(e), lost=True)
        if callback is not None:
            if self.hold_replies:
                self.held.append(lambda: callback(reply))
            else:
                callback(reply)

    def release(self) -> None:
        held, self.held = self.held, []
        for fn in held:
            fn()

    def subscribe(self, pattern: str, callback: LiveCallback) -> None:
        self._subs.append((pattern, callback))

    def subscribe_then(
        self, subs: Sequence[Subscription], done: Callable[[], None] | None = None
    ) -> None:
        def confirmed() -> None:
            for pattern, callback in subs:
                self.subscribe(pattern, callback)
            if done is not None:
                done()

        # Held: subscribed only on ``confirm``, as the worker thread may subscribe after the
        # caller has unsubscribed (a view hidden at once).
        if self.hold_subscriptions:
            self.unconfirmed.append(confirmed)
        else:
            confirmed()

    def confirm(self) -> None:
        """The subscriptions kept back are made and confirmed."""
        unconfirmed, self.unconfirmed = self.unconfirmed, []
        for fn in unconfirmed:
            fn()

    def publish(self, relative_topic: str, payload: dict[str, Any] | bytes) -> None:
        self.published.append((relative_topic, payload))

    def subscribe_then_publish(
        self,
        pattern: str,
        callback: LiveCallback,
        relative_topic: str,
        payload: dict[str, Any] | bytes,
        done: Callable[[bool], None] | None = None,
    ) -> None:
        if self._connected:
            self.subscribe(pattern, callback)
            self.publish(relative_topic, payload)
        if done is not None:
            done(self._connected)

    def unsubscribe(self, pattern: str) -> None:
        self._subs = [(p, cb) for p, cb in self._subs if p != pattern]

    def subscribed(self, pattern: str) -> bool:
        return any(p == pattern for p, _ in self._subs)

    def deliver(self, relative_topic: str, payload: Any, retained: bool = False) -> None:
        """A message arriving from the bus."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        for pattern, cb in list(self._subs):
            if topic_matches(pattern, relative_topic):
                cb(Live(relative_topic.split("/"), body, retained))
