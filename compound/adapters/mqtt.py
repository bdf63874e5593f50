"""The local bus: the one module that imports paho-mqtt.

paho-mqtt 2.x with VERSION2 callbacks; subscriptions are (re)made in ``on_connect`` so that they
survive a broker restart; every client leaves a last will on its availability topic; commands
and events go at QoS 1 and are never retained; TCP_NODELAY is set on the socket because with
Nagle's algorithm and delayed acknowledgements a command and its acknowledgement take tens of
milliseconds instead of well under one.

Request/response follows MQTT v5: the request carries a response topic and correlation data as
properties. The embedded demo broker speaks MQTT 3.1.1 only, so the same two values also travel
in the JSON body; a server answers to whichever it finds, properties first, if it lies under the
asker's own reply topic. A bus with a broker user asks on ``api/<user>/<method>`` (the ACL lets a
user write under its own name only, so the server knows who asks) for its answer on
``reply/<user>/<client id>/<method>``, so the ACL can let each user read its own replies by
name, whatever client id it picks; without a user (the demo's broker), its client id stands
for the user: ``api/<client id>/<method>``, ``reply/<client id>/<method>``.

No message may stop the network thread: every callback catches, logs and drops what goes wrong
with one message; JSON is read within size and nesting bounds; API methods run on a worker.
What does not need paho lives in ``bus_types`` and ``ports``, re-exported here.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from compound.adapters.bus_types import (
    ApiWorker,
    BusConfig,
    Delivery,
    Replies,
    api_asker,
    api_handler,
    eprint,
    guarded,
    read_reply,
    request_body,
    retry_refused,
    topic_matches,
    wire_payload,
)
from compound.ports import ApiError, ApiMethod, BusError, Handler, Message, actor_of
from compound.protocol.messages import MAX_PAYLOAD
from compound.protocol.topics import Topics

__all__ = [
    "ApiError",
    "Bus",
    "BusConfig",
    "BusError",
    "Delivery",
    "Handler",
    "Message",
    "actor_of",
    "eprint",
    "topic_matches",
]

log = logging.getLogger(__name__)


class Bus:
    """One client connection with handlers, request/response and an availability topic."""

    def __init__(self, config: BusConfig, topics: Topics, client_id: str) -> None:
        self.config = config
        self.topics = topics
        self.client_id = client_id
        self._handlers: list[tuple[str, Handler, int]] = []
        # Handlers per topic, matched once: a flood of one topic costs a lookup per message.
        self._routes: dict[str, list[tuple[str, Handler]]] = {}
        self._api_worker: ApiWorker | None = None  # API methods run off the network thread
        self._connected = threading.Event()
        self._replies = Replies()
        self._lock = threading.Lock()
        self._subs_taken = False  # the connect callback took its list (see subscribe)
        self.on_connect_hooks: list[Callable[[], None]] = []
        self.on_disconnect_hooks: list[Callable[[], None]] = []
        self.connects = 0
        self.disconnects = 0
        version = mqtt.MQTTv5 if config.protocol == 5 else mqtt.MQTTv311
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=version,
            clean_session=None if version == mqtt.MQTTv5 else True,
        )
        if config.username is not None:
            self._client.username_pw_set(config.username, config.password)
        if config.tls_ca is not None:
            self._client.tls_set(
                ca_certs=config.tls_ca,
                certfile=config.tls_cert,
                keyfile=config.tls_key,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.max_inflight_messages_set(100)
        self._client.will_set(topics.availability(client_id), b"offline", qos=1, retain=True)
        self._client.on_socket_open = guarded(self._on_socket_open)
        self._client.on_connect = guarded(self._on_connect)
        self._client.on_disconnect = guarded(self._on_disconnect)
        self._client.on_connect_fail = guarded(self._next_node)
        self.nodes, self.node = [(config.host, config.port), *config.fallbacks], 0
        self._by_mid: dict[int | None, tuple[str, int]] = {}
        self._client.on_message = guarded(self._on_message)
        self._client.on_subscribe = guarded(self._on_subscribe)
        self._sub_lock = threading.Lock()
        self._suback: dict[int, threading.Event] = {}
        self._acked: set[int] = set()
        self._connect_mids: set[int] = set()
        self._net_thread: int | None = None
        # With a broker user, replies come under that user's name: the ACL grants each user
        # reply/<its name>/# literally, whatever client id it picks (a CLI's is cli-<pid>).
        self.user = client_id if config.username is None else config.username
        replies_to = client_id if config.username is None else f"{self.user}/{client_id}"
        self._reply_prefix = topics.reply(replies_to, "")
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(
        self, timeout: float = float("inf"), announce: Callable[[str], None] | None = None
    ) -> None:
        """Connect and start the network thread; wait until connected or raise ``BusError``.

        While the broker does not answer, ``announce`` is told every few seconds, so a person
        watching a terminal sees what the box is waiting for.
        """
        if self._api_worker is not None:
            self._api_worker.start()  # started again: the handlers kept are served again
        self._client.connect_async(
            self.config.host, self.config.port, keepalive=self.config.keepalive
        )
        self._started = True
        self._client.loop_start()
        deadline = time.monotonic() + timeout
        next_note = time.monotonic() + 2.0
        while not self._connected.wait(0.1):
            now = time.monotonic()
            if now >= deadline:
                self.stop()
                raise BusError(
                    f"broker at {self.config.host}:{self.config.port} unreachable "
                    f"after {timeout:.0f} s; is Mosquitto running? (compound demo starts one)"
                )
            if announce is not None and now >= next_note:
                announce(
                    f"broker at {self.config.host}:{self.config.port} not answering, retrying..."
                )
                next_note = now + 3.0

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        if self._connected.is_set():
            info = self._client.publish(
                self.topics.availability(self.client_id), b"offline", qos=1, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(1.0)
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        if self._api_worker is not None:
            self._api_worker.stop()  # before its owner closes the store the methods read

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def network_alive(self) -> bool:
        """Whether the network thread runs (while it does, it reconnects by itself)."""
        thread = getattr(self._client, "_thread", None)
        return thread is not None and thread.is_alive()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

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
        props = None
        if self.config.protocol == 5 and (response_topic or correlation):
            props = Properties(PacketTypes.PUBLISH)
            if response_topic:
                props.ResponseTopic = response_topic
            if correlation:
                props.CorrelationData = correlation
        self._client.publish(topic, payload, qos=qos, retain=retain, properties=props)

    def publish_tracked(
        self, topic: str, payload: bytes | dict[str, Any], *, qos: int = 1
    ) -> Delivery:
        """Publish and return a handle that tells when the broker acknowledged it (PUBACK at
        QoS 1): the uplink marks a record sent only then."""
        return Delivery(self._client.publish(topic, wire_payload(payload), qos=qos))

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        """Add a handler; when connected, return once the broker has confirmed the
        subscription (a message published right after this call is not missed)."""
        with self._lock:
            self._handlers.append((topic_filter, handler, qos))
            self._routes = {}
            late = self._subs_taken  # taken before "connected": nobody else sends this one
        if late or self._connected.is_set():
            _, mid = self._client.subscribe(topic_filter, qos=qos)
            if mid is not None and threading.get_ident() != self._net_thread:
                self._wait_suback(mid, 5.0)

    def unsubscribe(self, topic_filter: str) -> None:
        """Drop every handler added for exactly this filter and tell the broker."""
        with self._lock:
            self._handlers = [h for h in self._handlers if h[0] != topic_filter]
            self._routes = {}
        if self._connected.is_set():
            self._client.unsubscribe(topic_filter)

    def _wait_suback(self, mid: int, timeout: float) -> None:
        event = threading.Event()
        with self._sub_lock:
            if mid in self._acked:
                self._acked.discard(mid)
                return
            self._suback[mid] = event
        if not event.wait(timeout):
            with self._sub_lock:
                self._suback.pop(mid, None)

    # -- request / response ----------------------------------------------------------------

    def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> Any:
        """Ask the core; return its result or raise ``ApiError`` (its refusal) or ``BusError``."""
        reply_topic = self._reply_prefix + method
        corr, pending = self._replies.open()
        try:
            self.publish(
                self.topics.api(self.user, method),
                request_body(params, reply_topic, corr),
                qos=1,
                response_topic=reply_topic,
                correlation=corr.encode(),
            )
            if not pending.event.wait(timeout):
                raise BusError(f"no answer from the core to {method!r} within {timeout:.0f} s")
        finally:
            self._replies.close(corr)
        return read_reply(method, pending.payload)

    def serve(
        self,
        methods: dict[str, ApiMethod],
        refusals: tuple[type[Exception], ...] = (),
        max_payload: int = MAX_PAYLOAD,
        counters: Counter[str] | None = None,
    ) -> None:
        """Answer ``api/<user>/<method>`` requests, on the asker's own reply topics only
        (``bus_types.api_handler``). Exceptions of the ``refusals`` types become error replies
        with their message; anything else is logged and answered as an internal error.
        ``max_payload`` raises the size limit for methods that take photos."""
        # The worker thread lives as long as the process (a restarted bus keeps its handlers).
        worker = self._api_worker = self._api_worker or ApiWorker(
            self.client_id, counters, sender=api_asker(self.topics)
        )
        on_request = worker.wrap(
            api_handler(methods, refusals, max_payload, self.publish, self.topics, counters)
        )
        # One subscription per method: services sharing a bus each answer their own methods.
        for method in methods:
            self.subscribe(self.topics.api("+", method), on_request)

    # -- paho callbacks (network thread) ---------------------------------------------------

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        with contextlib.suppress(OSError, AttributeError):  # TLS-wrapped or non-TCP sockets
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, properties: Any = None
    ) -> None:
        if rc.is_failure:
            log.error("broker refused %s: %s", self.client_id, rc)
            return
        self.connects += 1
        self._net_thread = threading.get_ident()
        with self._lock:
            subs = [(f, q) for f, _, q in self._handlers]
            self._subs_taken = True
        subs = [(self._reply_prefix + "+", 1)] * self.config.replies + subs
        self._by_mid = {client.subscribe(f, qos=q)[1]: (f, q) for f, q in subs}
        mids = list(self._by_mid)
        # "Connected" waits for every SUBACK: a broker may handle a SUBSCRIBE and a following
        # PUBLISH out of order (the embedded one does), and a request sent before the reply
        # subscription is active would never hear its answer. SUBACKs arrive on this same
        # thread, after this callback returns.
        with self._sub_lock:
            self._connect_mids = {m for m in mids if m is not None}
            self._acked.clear()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any, properties: Any = None
    ) -> None:
        if self.config.retry_refused:
            retry_refused(rcs, mid, self._by_mid, client, self._connected.is_set)
        with self._sub_lock:
            event = self._suback.pop(mid, None)
            if event is not None:
                event.set()
            elif mid not in self._connect_mids:
                self._acked.add(mid)
            self._connect_mids.discard(mid)
            ready = not self._connect_mids and not self._connected.is_set() and self._started
        if ready:
            self._ready(client)

    def _ready(self, client: mqtt.Client) -> None:
        client.publish(self.topics.availability(self.client_id), b"online", qos=1, retain=True)
        self._connected.set()
        for hook in list(self.on_connect_hooks):
            try:
                hook()
            except Exception:
                log.exception("on-connect hook failed")

    def _next_node(self, client: mqtt.Client, userdata: Any = None) -> None:
        # a clustered broker's node lost or refusing: paho reconnects to the next one (not
        # while stopping, which would undo the disconnect)
        if len(self.nodes) > 1 and self._started:
            self.node = (self.node + 1) % len(self.nodes)
            client.connect_async(*self.nodes[self.node], keepalive=self.config.keepalive)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, properties: Any = None
    ) -> None:
        self._next_node(client)
        self._subs_taken = False  # the next connection subscribes the whole list again
        was = self._connected.is_set()
        self._connected.clear()
        if was:
            self.disconnects += 1
            for hook in list(self.on_disconnect_hooks):
                try:
                    hook()
                except Exception:
                    log.exception("on-disconnect hook failed")

    def _on_message(self, client: mqtt.Client, userdata: Any, m: mqtt.MQTTMessage) -> None:
        props = getattr(m, "properties", None)
        msg = Message(
            topic=m.topic,
            payload=bytes(m.payload),
            retain=bool(m.retain),
            response_topic=getattr(props, "ResponseTopic", None),
            correlation=getattr(props, "CorrelationData", None),
        )
        if m.topic.startswith(self._reply_prefix):
            self._replies.deliver(msg)
            return
        for topic_filter, handler in self._route(m.topic):
            try:
                handler(msg)
            except Exception:
                # A handler bug must not take the network thread down with it.
                log.exception("handler for %s failed on %s", topic_filter, m.topic)

    def _route(self, topic: str) -> list[tuple[str, Handler]]:
        with self._lock:
            found = self._routes.get(topic)
            if found is None:
                found = [(f, h) for f, h, _ in self._handlers if topic_matches(f, topic)]
                self._routes = {} if len(self._routes) >= 4096 else self._routes  # stay small
                self._routes[topic] = found
            return found
