"""The parts of a bus client that do not need paho: connection settings, topic matching, and
both halves of request/response (answering ``api/<user>/<method>`` and waiting for a reply).

``compound.adapters.mqtt.Bus`` and the in-memory bus of the devkit share them, so a unit test on
the memory bus sees the same answers, refusals and duplicate handling as the box.

Everything here runs on a bus's network thread for every message that arrives, so nothing lets
an exception out: a message that cannot be read is logged and dropped, never allowed to stop
the thread that hears the doors.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from compound.adapters.api_worker import ApiWorker as ApiWorker  # where the services find it
from compound.ports import ACTOR, ApiError, ApiMethod, BusError, Handler, Message
from compound.protocol.messages import (
    MAX_REPLY,
    ApiReply,
    MessageError,
    SeenIds,
    canonical,
    decode_object,
    new_id,
)
from compound.protocol.topics import Topics

log = logging.getLogger("compound.adapters.mqtt")

Publish = Callable[..., None]


@dataclass(frozen=True)
class BusConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    protocol: int = 5  # 5 for Mosquitto; 4 (3.1.1) for the embedded demo broker
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    keepalive: int = 15
    # other nodes of the same (clustered) broker, tried in turn when the current one is lost
    fallbacks: tuple[tuple[str, int], ...] = ()
    # a client that never asks requests (the uplink) need not hold a reply subscription, which a
    # clustered broker keeps as a replicated consumer per client
    replies: bool = True
    # subscribe again to what the broker refused after a connect (NATS refuses a QoS 1
    # subscription while the JetStream cluster re-elects after losing a node, then delivers
    # nothing on it: an ingest would sit connected and deaf)
    retry_refused: bool = False


def retry_refused(
    rcs: Any, mid: int, by_mid: dict[Any, tuple[str, int]], client: Any, ok: Callable[[], bool]
) -> None:
    """A SUBACK refusing the subscription ``by_mid[mid]`` (filter, qos): subscribe again in
    2 s while ``ok()``, and again after that if it is refused again."""
    sub = by_mid.get(mid)
    if sub is None or not any(getattr(rc, "is_failure", False) for rc in rcs):
        return
    log.warning("broker refused the subscription %s; asking again in 2 s", sub[0])

    def again() -> None:
        if ok():
            by_mid[client.subscribe(sub[0], qos=sub[1])[1]] = sub

    timer = threading.Timer(2.0, again)
    timer.daemon = True
    timer.start()


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching: ``+`` is one level, a final ``#`` any number of levels (none included, so
    ``a/#`` matches ``a``); wildcards at the first level do not match ``$`` topics."""
    if "+" not in topic_filter and "#" not in topic_filter:
        return topic_filter == topic
    wanted = topic_filter.split("/")
    levels = topic.split("/")
    if topic.startswith("$") and wanted[0] in ("+", "#"):
        return False
    for i, part in enumerate(wanted):
        if part == "#":
            return i == len(wanted) - 1
        if i >= len(levels) or (part != "+" and part != levels[i]):
            return False
    return len(wanted) == len(levels)


def eprint(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- answering requests ----------------------------------------------------------------------


def api_handler(
    methods: dict[str, ApiMethod],
    refusals: tuple[type[Exception], ...],
    max_payload: int,
    publish: Publish,
    topics: Topics,
    counters: Counter[str] | None = None,
) -> Handler:
    """A handler for ``api/<user>/<method>`` messages that calls the method and publishes the
    answer with ``publish(topic, payload, qos=, correlation=, response_topic=)``.

    The asker is the ``<user>`` of the topic, which the broker's ACL lets each user write under
    its own name only (a bus without a user name asks as its client id). The method is given it
    in ``params[ACTOR]``, over whatever the caller sent there, and the answer goes only to a
    reply topic under ``reply/<user>/``: a request that names any other (a door's command
    topic, the event stream, another console's replies) is not carried out, not answered, and
    counted in ``counters`` as ``api.reply_refused``. A retained request (replayed by the broker
    to every new subscriber) is not carried out either, counted as ``api.retained``.

    Exceptions of the ``refusals`` types become error replies with their message; anything else
    is logged and answered as an internal error. A request that cannot be read is logged and
    dropped, and no exception leaves the handler.
    """
    answered = SeenIds(10_000)
    counted: Counter[str] = counters if counters is not None else Counter()

    def on_request(msg: Message) -> None:
        try:
            answer(msg)
        except Exception:
            log.exception("api request on %s could not be answered", msg.topic)

    def answer(msg: Message) -> None:
        levels = topics.split(msg.topic)
        if len(levels) != 3 or levels[0] != "api" or not levels[1]:
            counted["api.bad_topic"] += 1
            log.warning("api request on %s: not api/<user>/<method>", msg.topic)
            return
        _, user, method = levels
        if msg.retain:
            # Requests are never sent retained, but the ACL cannot stop a user from leaving one
            # under its own name; the broker would hand it to the server at every start and
            # every reconnect (a door.unlock opening the door each time the box boots).
            counted["api.retained"] += 1
            log.warning("refused %s from %s: a retained request is not carried out", method, user)
            return
        try:
            body = decode_object(msg.payload, max_payload)
        except MessageError as e:
            log.warning("bad api request on %s: %s", msg.topic, e)
            return
        reply_to = msg.response_topic or body.get("reply_to")
        corr = msg.correlation or str(body.get("corr", "")).encode()
        if not isinstance(reply_to, str) or not reply_to:
            log.warning("api request on %s without a reply topic", msg.topic)
            return
        if not own_reply_topic(topics, user, reply_to):
            counted["api.reply_refused"] += 1
            log.warning("refused %s from %s: answer asked on %r", method, user, reply_to[:200])
            return
        # QoS 1 is at-least-once, and a broker delivers one copy per overlapping
        # subscription: a request is carried out once, whatever number of copies arrive.
        if not answered.add(f"{reply_to}|{corr.hex()}"):
            return
        params = body.get("params", {})
        fn = methods.get(method)
        if fn is None:
            reply = ApiReply(False, error=f"unknown method {method!r}")
        elif not isinstance(params, dict):
            reply = ApiReply(False, error="params must be an object")
        else:
            try:
                reply = ApiReply(True, fn({**params, ACTOR: user}))
            except refusals as e:
                reply = ApiReply(False, error=str(e))
            except Exception:
                log.exception("api method %s failed", method)
                reply = ApiReply(False, error=f"internal error in {method}; see the core log")
        # The correlation also goes in the body for brokers that do not carry v5 properties.
        payload = reply.encode(corr.decode(errors="replace"))
        publish(reply_to, payload, qos=1, correlation=corr, response_topic=None)

    return on_request


def api_asker(topics: Topics) -> Callable[[Message], str]:
    """The user who asks in an ``api/<user>/<method>`` message (an ``ApiWorker``'s sender)."""
    return lambda msg: (topics.split(msg.topic) + ["", ""])[1]


def topic_of(msg: Message) -> str:
    """An ``ApiWorker`` sender: each topic apart (a door's events, a door's call signals)."""
    return msg.topic


def own_reply_topic(topics: Topics, user: str, reply_to: str) -> bool:
    """Whether ``reply_to`` is a topic under ``reply/<user>/``, the only place ``user`` may
    be answered (no wildcard: a publish on one would be refused anyway)."""
    prefix = topics.reply(user, "")
    return (
        reply_to.startswith(prefix)
        and len(reply_to) > len(prefix)
        and not any(c in reply_to for c in "+#\0")
    )


# -- waiting for replies ---------------------------------------------------------------------


class Delivery:
    """One tracked publish: ``done()`` once the broker acknowledged it (``info`` is paho's
    message info)."""

    def __init__(self, info: Any) -> None:
        self._info = info

    def done(self) -> bool:
        try:
            return bool(self._info.is_published())
        except (RuntimeError, ValueError):  # refused by the client (queue full, no connection)
            return False


@dataclass
class Pending:
    event: threading.Event = field(default_factory=threading.Event)
    payload: bytes = b""


class Replies:
    """Requests waiting for their answer, by correlation id."""

    def __init__(self) -> None:
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    def open(self) -> tuple[str, Pending]:
        corr = new_id()
        pending = Pending()
        with self._lock:
            self._pending[corr] = pending
        return corr, pending

    def close(self, corr: str) -> None:
        with self._lock:
            self._pending.pop(corr, None)

    def deliver(self, msg: Message) -> None:
        """Hand a message from the reply topic to the request it answers; drop anything else."""
        try:
            corr = reply_correlation(msg)
        except Exception:
            log.exception("reply on %s could not be read", msg.topic)
            return
        if corr is None:
            return
        with self._lock:
            pending = self._pending.get(corr)
        if pending is not None:
            pending.payload = msg.payload
            pending.event.set()


def reply_correlation(msg: Message) -> str | None:
    """The correlation id of a reply: the v5 property, else the ``corr`` field of its body,
    read with the bounded decoder (a reply topic is written by the core only, but a broker
    without an ACL lets anyone write it)."""
    if msg.correlation:
        return msg.correlation.decode(errors="replace")
    try:
        body = decode_object(msg.payload, MAX_REPLY)
    except MessageError as e:
        log.warning("unreadable reply on %s: %s", msg.topic, e)
        return None
    return str(body.get("corr", ""))


def request_body(params: dict[str, Any] | None, reply_topic: str, corr: str) -> dict[str, Any]:
    # Reply topic and correlation travel in the body too, for brokers without v5 properties.
    return {"params": params or {}, "reply_to": reply_topic, "corr": corr}


def read_reply(method: str, payload: bytes) -> Any:
    """The result in a reply, or ``ApiError`` with the refusal, or ``BusError``."""
    try:
        reply = ApiReply.decode(payload)
    except MessageError as e:
        raise BusError(f"unreadable answer to {method!r}: {e}") from None
    if not reply.ok:
        raise ApiError(reply.error or "refused")
    return reply.result


_P = ParamSpec("_P")


def guarded(callback: Callable[_P, None]) -> Callable[_P, None]:
    """Run a network-thread callback so that nothing it raises reaches the client library: an
    exception there ends the network thread, and the process would stay up but deaf."""

    @functools.wraps(callback)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            callback(*args, **kwargs)
        except Exception:
            log.exception("bus callback %s failed and was skipped", callback.__name__)

    return run


def wire_payload(payload: bytes | dict[str, Any] | str) -> bytes:
    """What a publish puts on the wire: a dict as canonical JSON, text as UTF-8."""
    if isinstance(payload, dict):
        return canonical(payload)
    return payload.encode() if isinstance(payload, str) else payload
