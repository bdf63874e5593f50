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

Bounded: at most ``limit`` keys are counted. The core's subscriptions are wildcards, but the
broker's ACL lets each device write only its own doors' topics (a real site has a few hundred),
and what a device may name itself (a bridge's zones) is counted under its pattern.
"""

from __future__ import annotations

from collections.abc import Callable

from compound.ports import Handler, Message

MAX_TOPICS = 4096


class TopicCounts:
    def __init__(self, limit: int = MAX_TOPICS) -> None:
        # Written on the network thread only; readers take a copy (``dict(counts.seen)``).
        self.seen: dict[str, int] = {}
        self._limit = limit

    def counting(self, handler: Handler, key: Callable[[Message], str] | None = None) -> Handler:
        """``handler``, counting each message first under its topic (or ``key(msg)``: a
        pattern that stands for many topics, see ``protocol.topic_floods``)."""
        seen, limit = self.seen, self._limit

        def counted(msg: Message) -> None:
            if msg.retain:  # kept by the broker, sent once on subscribing: never a flood
                handler(msg)
                return
            k = msg.topic if key is None else key(msg)
            n = seen.get(k)
            if n is not None:
                seen[k] = n + 1
            elif len(seen) < limit:
                seen[k] = 1
            handler(msg)

        return counted
