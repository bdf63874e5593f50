"""What the services need from the world, written as Protocols: the bus and the clock.

A service is given a ``Bus`` and a ``Clock`` and never learns what is behind them. In the box the
bus is ``compound.adapters.mqtt.Bus`` (paho on the local Mosquitto); in unit tests it is
``devkit.memory_bus.MemoryBus``, which delivers in the calling thread. ``Message`` and the two
errors are the values both sides exchange, so they live here rather than in an adapter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from compound.domain.clock import Clock, ManualClock, SystemClock
from compound.protocol.messages import MAX_PAYLOAD
from compound.protocol.topics import Topics

__all__ = [
    "ACTOR",
    "ApiError",
    "ApiMethod",
    "Bus",
    "BusError",
    "Clock",
    "Handler",
    "ManualClock",
    "Message",
    "SystemClock",
    "Tracked",
    "actor_of",
]


class BusError(RuntimeError):
    """The broker could not be reached, or a request got no answer."""


class ApiError(RuntimeError):
    """The core answered a request with an error meant for the person who asked."""


@dataclass(frozen=True)
class Message:
    """One message as a handler sees it; the reply topic and correlation are MQTT v5's."""

    topic: str
    payload: bytes
    retain: bool = False
    response_topic: str | None = None
    correlation: bytes | None = None


Handler = Callable[[Message], None]
ApiMethod = Callable[[dict[str, Any]], Any]

# The reserved parameter in which a server hands an API method the broker user who asked,
# taken from the request topic ``api/<user>/<method>`` (which the ACL lets a user write under
# its own name only). Whatever a caller sends under this key is replaced.
ACTOR = "_actor"


def actor_of(params: Mapping[str, Any]) -> str:
    """The broker user who sent this request; empty when the method was not called over the
    bus. What the caller typed as ``by`` is its claim; this is who it is."""
    value = params.get(ACTOR)
    return value if isinstance(value, str) else ""


class Tracked(Protocol):
    """A publish whose arrival at the broker can be checked (the uplink marks a record sent
    only once the broker has it)."""

    def done(self) -> bool: ...


class Bus(Protocol):
    """The part of a bus client the services use."""

    topics: Topics
    client_id: str
    connects: int  # how many times it has connected; a change means "resend what is pending"
    on_connect_hooks: list[Callable[[], None]]
    on_disconnect_hooks: list[Callable[[], None]]

    @property
    def connected(self) -> bool: ...

    def start(
        self, timeout: float = ..., announce: Callable[[str], None] | None = None
    ) -> None: ...

    def stop(self) -> None: ...

    def wait_connected(self, timeout: float) -> bool: ...

    def publish(
        self,
        topic: str,
        payload: bytes | dict[str, Any] | str,
        *,
        qos: int = 1,
        retain: bool = False,
        response_topic: str | None = None,
        correlation: bytes | None = None,
    ) -> None: ...

    def publish_tracked(
        self, topic: str, payload: bytes | dict[str, Any], *, qos: int = 1
    ) -> Tracked: ...

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None: ...

    def unsubscribe(self, topic_filter: str) -> None: ...

    def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 5.0
    ) -> Any:
        """The result of ``method``; raises ``ApiError`` (a refusal) or ``BusError``."""
        ...

    def serve(
        self,
        methods: dict[str, ApiMethod],
        refusals: tuple[type[Exception], ...] = (),
        max_payload: int = MAX_PAYLOAD,
        counters: Counter[str] | None = None,
    ) -> None:
        """Answer ``api/<user>/<method>`` requests for these methods, only on the asker's own
        reply topics; refusals are counted in ``counters``."""
        ...
