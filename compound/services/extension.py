"""What a feature of the core offers: API methods, access gates and hooks, event hooks.

An extension is built with what it needs (the core) and does nothing in its constructor. The core
reads its ``offers()`` once when it starts, so no extension ever writes into the core's tables;
then it calls ``start()`` (subscriptions, timers) and, at the end, ``stop()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from compound.domain.access import Decision, Reason
from compound.domain.model import Event
from compound.protocol.messages import AccessRequest, AccessResult

ApiMethod = Callable[[dict[str, Any]], Any]
# Asked before a request is answered; a gate returning a reason denies it unread.
AccessGate = Callable[[AccessRequest, float], Reason | None]
# Told of every decision after it is logged.
AccessHook = Callable[[AccessRequest, Decision, Event], None]
# Told of every decision after it is logged, before its result goes out; returns that result
# with what the requester may also be told (a lockout's remaining seconds, tries left).
ResultHook = Callable[[AccessRequest, Decision, AccessResult], AccessResult]
# Told of every event after its transaction commits.
EventHook = Callable[[Event], None]


@dataclass(frozen=True)
class Offers:
    api: Mapping[str, ApiMethod] = field(default_factory=dict)
    access_gates: tuple[AccessGate, ...] = ()
    access_hooks: tuple[AccessHook, ...] = ()
    result_hooks: tuple[ResultHook, ...] = ()
    event_hooks: tuple[EventHook, ...] = ()


class Extension(Protocol):
    def offers(self) -> Offers: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...
