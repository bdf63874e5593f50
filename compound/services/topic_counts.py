"""Messages counted per topic where they arrive, on the bus's network thread, before anything
else is done with them: what the flood quarantine (``compound.services.quarantine``) reads to
find a device flooding a topic that no queue of the core sheds early enough.

A queue behind the network thread (``ApiWorker``) drops what floods it, but every message of a
flood has by then crossed the broker and been parsed on the one thread that also carries every
door's swipe. The count is where the cost is, so it sees a flood however the message is treated
afterwards.

A retained message is not counted: the broker sends those (every door's state, every zone's
report) once when the core subscribes, flagged as retained, and marks what a device publishes
afterwards as live, whatever the device asked for.

Counted in windows: the quarantine takes what came since its last look (``take``, every half
second) and counting starts afresh, so only the keys heard within one window are held. Bounded:
at most ``limit`` keys a window. The core's subscriptions are wildcards, but the broker's ACL
lets each device write only its own topics (the compound's doors, its indoor stations by the
thousand, each of which replies now and then), and what a device may name itself (a bridge's
zones) is counted under its pattern.
"""

from __future__ import annotations

from collections.abc import Callable

from compound.ports import Handler, Message

MAX_TOPICS = 4096


class TopicCounts:
    def __init__(self, limit: int = MAX_TOPICS) -> None:
        # Written on the network thread only; swapped for a new one by ``take``.
        self._window: dict[str, int] = {}
        self._limit = limit

    def take(self) -> dict[str, int]:
        """What arrived since the last take, per key; counting starts afresh. A message the
        network thread is counting just then may go to either window, or be missed: a window
        is a count of a flood, not a record."""
        window, self._window = self._window, {}
        return dict(window)  # a copy, made under the GIL: the network thread may add to it

    def counting(self, handler: Handler, key: Callable[[Message], str] | None = None) -> Handler:
        """``handler``, counting each message first under its topic (or ``key(msg)``: a
        pattern that stands for many topics, see ``protocol.topic_floods``)."""
        limit = self._limit

        def counted(msg: Message) -> None:
            if not msg.retain:  # kept by the broker, sent once on subscribing: never a flood
                window, k = self._window, msg.topic if key is None else key(msg)
                n = window.get(k)
                if n is not None:
                    window[k] = n + 1
                elif len(window) < limit:
                    window[k] = 1
            handler(msg)

        return counted
