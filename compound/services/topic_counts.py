"""Messages counted per topic where they arrive, on the bus's network thread, before anything
else is done with them: what the flood quarantine (``compound.services.quarantine``) reads to
find a device flooding a topic that no queue of the core sheds early enough.

A queue behind the network thread (``ApiWorker``) drops what floods it, but every message of a
flood has by then crossed the broker and been parsed on the one thread that also carries every
door's swipe. The count is where the cost is, so it sees a flood however the message is treated
afterwards. Bounded: at most ``limit`` topics are counted (the core's subscriptions are
wildcards; the broker's ACL lets each device write only its own doors' topics, so a real site
has a few hundred).
"""

from __future__ import annotations

from compound.ports import Handler, Message

MAX_TOPICS = 4096


class TopicCounts:
    def __init__(self, limit: int = MAX_TOPICS) -> None:
        # Written on the network thread only; readers take a copy (``dict(counts.seen)``).
        self.seen: dict[str, int] = {}
        self._limit = limit

    def counting(self, handler: Handler) -> Handler:
        """``handler``, counting each message's topic first."""
        seen, limit = self.seen, self._limit

        def counted(msg: Message) -> None:
            n = seen.get(msg.topic)
            if n is not None:
                seen[msg.topic] = n + 1
            elif len(seen) < limit:
                seen[msg.topic] = 1
            handler(msg)

        return counted
