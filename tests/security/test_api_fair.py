"""One device flooding the API does not silence the others, on a real Mosquitto with the shipped
config.

The core answers API requests on one thread, from a bounded queue. A door panel in a public
hallway may ask ``door.list``; asking it a few hundred times at once filled the queue, and every
other request was dropped while the flood lasted: the officer's wall could not lock the site
down nor acknowledge an alarm. Each asking user now waits in a queue of its own, served in
turn: the flood is shed from the panel's queue, and another user's request is still answered.

Deterministic: the core's API thread is held (a long write holds the store, as an import does)
while the panel floods; the other user asks only once the core has shed the flood, and the
thread is let go only once the core's bus has taken (or dropped) that request.
"""

from __future__ import annotations

import threading
import time

import pytest

from compound.services.core import Core
from tests.compound.test_off_network_thread import WAIT_S, LongWrite
from tests.security.conftest import SecuredBroker, Seen
from tests.security.test_api_actor import answer_to, ask

pytestmark = [pytest.mark.integration]

FLOOD = 400


def test_a_panel_flooding_the_api_does_not_keep_a_console_from_being_answered(
    secured: SecuredBroker, site: tuple[Core, Seen]
) -> None:
    core, seen = site
    t = secured.topics
    panel, console = secured.bus("panel1"), secured.bus("console2")
    panel.start(timeout=10)
    console.start(timeout=10)
    shed_before = core.counters["api.shed"]
    # Handlers of one message run in the order they were added: once this one has run, the
    # core's API server has queued the console's request or dropped it.
    taken = threading.Event()
    core.bus.subscribe(t.api("console2", "status"), lambda _: taken.set())
    try:
        with LongWrite(core.store):
            panel_replies = t.reply("panel1", "panel1/door.list")
            for _ in range(FLOOD):
                ask(panel, "panel1", "door.list", panel_replies, {}, True)
            # The core's API thread is held: once it shed a third of the flood, its queue was
            # full before the change (200 requests), and the console's request was dropped.
            deadline = time.monotonic() + WAIT_S
            while core.counters["api.shed"] - shed_before < FLOOD // 3:
                assert time.monotonic() < deadline, "the core never shed the flood"
                time.sleep(0.01)
            corr = ask(console, "console2", "status", t.reply("console2", "c2/status"), {}, True)
            assert taken.wait(WAIT_S), "the console's request never reached the core"
        assert seen.wait_for(answer_to(corr), timeout=WAIT_S), "the console was not answered"

        # Every request of the flood is answered or shed in the end (and the core is done with
        # them before the store is closed).
        def accounted(_: object) -> bool:
            answered = sum(m.topic == panel_replies for m in seen.messages)
            return answered + core.counters["api.shed"] - shed_before >= FLOOD

        assert seen.wait_for(accounted, WAIT_S), "the flood was neither answered nor shed"
    finally:
        core.bus.unsubscribe(t.api("console2", "status"))
        panel.stop()
        console.stop()
