"""The worker that runs the bus's messages off the network thread: stopped, it finishes the
message in hand, drops what waits and takes nothing more, so its owner may close the store the
handlers read; started again, it serves again."""

from __future__ import annotations

import threading

from compound.adapters.api_worker import ApiWorker
from compound.ports import Message


def msg(topic: str) -> Message:
    return Message(topic, b"{}", False)


def test_stop_waits_for_the_message_in_hand_and_drops_the_rest() -> None:
    inside, release = threading.Event(), threading.Event()
    done: list[str] = []

    def handler(m: Message) -> None:
        if m.topic == "first":
            inside.set()
            release.wait(10)
        done.append(m.topic)

    worker = ApiWorker("test", sender=lambda m: m.topic)
    queued = worker.wrap(handler)
    queued(msg("first"))
    assert inside.wait(10)
    queued(msg("second"))  # waits behind the first
    stopper = threading.Thread(target=worker.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    assert not stopper.is_alive()
    # stop returned only once the first was done; the second was dropped, never run.
    assert done == ["first"]
    assert not worker._thread.is_alive()
    queued(msg("late"))  # after stop: not taken
    assert not worker._waiting


def test_started_again_it_serves_again() -> None:
    seen = threading.Event()
    worker = ApiWorker("test")
    queued = worker.wrap(lambda m: seen.set())
    worker.stop()
    worker.start()
    queued(msg("x"))
    assert seen.wait(10)
    worker.stop()
