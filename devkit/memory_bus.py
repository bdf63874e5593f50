"""A bus in memory, for unit tests of the services: no broker, no thread, no waiting.

``MemoryBroker`` stands for Mosquitto and ``MemoryBus`` for one client connected to it; it
offers what ``compound.ports.Bus`` asks for, like ``compound.adapters.mqtt.Bus``. A publish is
delivered in the calling thread before ``publish`` returns, to every subscription whose filter
matches (MQTT ``+`` and ``#``), retained messages reach a later subscriber, and request/response
goes through the same code the real bus uses (``api/<client id>/<method>`` answered by ``serve``
on the asker's own reply topic only: a client here has no broker user, so its client id stands
for one), so a refusal or an unknown method looks the same as on the box.

It is a stand-in for the broker's routing, not for its ACL or its timing: tests of who may
write what, and of the network thread, run against a real Mosquitto.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from compound.adapters.bus_types import (
    Replies,
    api_handler,
    read_reply,
    request_body,
    topic_matches,
    wire_payload,
)
from compound.ports import ApiMethod, BusError, Handler, Message
from compound.protocol.messages import MAX_PAYLOAD
from compound.protocol.topics import Topics

if TYPE_CHECKING:
    from compound import ports
    from compound.adapters import mqtt

log = logging.getLogger(__name__)


@dataclass
class _Subscription:
    client: MemoryBus
    topic_filter: str
    handler: Handler


@dataclass
class MemoryBroker:
    """Routes messages between the ``MemoryBus`` clients made on it; keeps retained ones."""

    retained: dict[str, Message] = field(default_factory=dict)
    published: list[Message] = field(default_factory=list)  # everything, in order
    errors: list[tuple[str, Exception]] = field(default_factory=list)  # (topic, what was raised)
    _subs: list[_Subscription] = field(default_factory=list)

    def client(self, topics: Topics, client_id: str, *, start: bool = True) -> MemoryBus:
        bus = MemoryBus(topics, client_id, self)
        if start:
            bus.start()
        return bus

    def route(self, msg: Message) -> None:
        self.published.append(msg)
        if msg.retain:
            if msg.payload:
                self.retained[msg.topic] = msg
            else:  # an empty retained message clears the topic, as in MQTT
                self.retained.pop(msg.topic, None)
        # A handler may subscribe or publish in turn; it does not change this delivery.
        for sub in list(self._subs):
            if sub.client.connected and topic_matches(sub.topic_filter, msg.topic):
                # MQTT sets the retain flag only on messages replayed to a new subscriber.
                sub.client.deliver(sub, replace(msg, retain=False))

    def add(self, sub: _Subscription) -> None:
        self._subs.append(sub)
        for msg in list(self.retained.values()):
            if sub.client.connected and topic_matches(sub.topic_filter, msg.topic):
                sub.client.deliver(sub, msg)

    def remove(self, client: MemoryBus, topic_filter: str | None = None) -> None:
        self._subs = [
            s
            for s in self._subs
            if not (s.client is client and topic_filter in (None, s.topic_filter))
        ]


class _Delivered:
    """A publish on the memory bus is at the broker as soon as ``publish`` returns."""

    def done(self) -> bool:
        return True


class MemoryBus:
    """One client of a ``MemoryBroker``; delivery is synchronous and in order."""

    def __init__(
        self, topics: Topics, client_id: str = "memory", broker: MemoryBroker | None = None
    ) -> None:
        self.topics = topics
        self.client_id = client_id
        self.broker = broker if broker is not None else MemoryBroker()
        self.connects = 0
        self.disconnects = 0
        self.on_connect_hooks: list[Callable[[], None]] = []
        self.on_disconnect_hooks: list[Callable[[], None]] = []
        self._connected = False
        self._filters: list[tuple[str, Handler]] = []
        self._replies = Replies()
        self._reply_prefix = topics.reply(client_id, "")

    # -- lifecycle -------------------------------------------------------------------------

    def start(
        self, timeout: float = float("inf"), announce: Callable[[str], None] | None = None
    ) -> None:
        if self._connected:
            return
        self._connected = True
        self.connects += 1
        self.broker.add(_Subscription(self, self._reply_prefix + "+", self._replies.deliver))
        for topic_filter, handler in list(self._filters):
            self.broker.add(_Subscription(self, topic_filter, handler))
        self.publish(self.topics.availability(self.client_id), b"online", retain=True)
        for hook in list(self.on_connect_hooks):
            hook()

    def stop(self) -> None:
        if not self._connected:
            return
        self.publish(self.topics.availability(self.client_id), b"offline", retain=True)
        self._connected = False
        self.disconnects += 1
        self.broker.remove(self)
        for hook in list(self.on_disconnect_hooks):
            hook()

    @property
    def connected(self) -> bool:
        return self._connected

    def wait_connected(self, timeout: float) -> bool:
        return self._connected

    # -- publish / subscribe ---------------------------------------------------------------

    def publish(
        self,
        topic: str,
        payload: bytes | dict[str, Any] | str,
        *,
        qos: int = 1,
        retain: bool = False,
        response_topic: str | None = None,
        correlation: bytes | None = None,
    ) -> None:
        payload = wire_payload(payload)
        if not self._connected:
            return  # paho queues while offline; a test that needs that uses the real bus
        self.broker.route(Message(topic, payload, retain, response_topic, correlation))

    def publish_tracked(
        self, topic: str, payload: bytes | dict[str, Any], *, qos: int = 1
    ) -> _Delivered:
        self.publish(topic, payload, qos=qos)
        return _Delivered()

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        self._filters.append((topic_filter, handler))
        if self._connected:
            self.broker.add(_Subscription(self, topic_filter, handler))

    def unsubscribe(self, topic_filter: str) -> None:
        self._filters = [f for f in self._filters if f[0] != topic_filter]
        self.broker.remove(self, topic_filter)

    def deliver(self, sub: _Subscription, msg: Message) -> None:
        try:
            sub.handler(msg)
        except Exception as e:
            # As on the real bus, a failing handler costs only its own message.
            log.exception("handler for %s failed on %s", sub.topic_filter, msg.topic)
            self.broker.errors.append((msg.topic, e))

    # -- request / response ----------------------------------------------------------------

    def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> Any:
        """The answer arrives before ``publish`` returns, or not at all: no waiting."""
        reply_topic = self._reply_prefix + method
        corr, pending = self._replies.open()
        try:
            self.publish(
                self.topics.api(self.client_id, method),
                request_body(params, reply_topic, corr),
                response_topic=reply_topic,
                correlation=corr.encode(),
            )
        finally:
            self._replies.close(corr)
        if not pending.event.is_set():
            raise BusError(f"no answer to {method!r}: nothing serves it on this memory bus")
        return read_reply(method, pending.payload)

    def serve(
        self,
        methods: dict[str, ApiMethod],
        refusals: tuple[type[Exception], ...] = (),
        max_payload: int = MAX_PAYLOAD,
        counters: Counter[str] | None = None,
    ) -> None:
        on_request = api_handler(
            methods, refusals, max_payload, self.publish, self.topics, counters
        )
        for method in methods:
            self.subscribe(self.topics.api("+", method), on_request)


if TYPE_CHECKING:
    # Both buses offer what the services ask for; mypy checks it here.
    def _conforms(real: mqtt.Bus, memory: MemoryBus) -> tuple[ports.Bus, ports.Bus]:
        return real, memory
