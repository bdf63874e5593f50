"""A request left retained on the bus is not carried out, on a real Mosquitto with the shipped
config.

The broker's ACL says which topics a user may write, not whether it may set the retain flag
there, so any user can leave a request retained under its own ``api/<user>/<method>``. The
broker hands a retained message to every new subscriber: to the core at each start and each
reconnect with a fresh session. A console (or a wall, with an officer's PIN it saw typed) taken
over could leave ``door.unlock`` retained and have the door opened every time the box boots; a
station could have a visitor pass issued at every restart. Requests are never published
retained, so the server refuses every retained one, counted as ``api.retained``.

Judged with a fence: a live request sent after the core started, which the core answers after
any retained one it was handed on subscribing.
"""

from __future__ import annotations

from typing import Any

import pytest

from compound.protocol.messages import new_id
from tests.security.conftest import SecuredBroker, Seen, devices_store, running_core

pytestmark = [pytest.mark.integration]


@pytest.mark.parametrize(
    ("user", "method", "params"),
    [
        ("console1", "door.unlock", {"door": "d1", "reason": "parcel", "by": "manager Li"}),
        ("st1", "pass.station_issue", {"visitor": "王五", "hours": 2, "uses": 1}),
    ],
)
def test_a_retained_request_is_not_carried_out_when_the_core_starts(
    secured: SecuredBroker, user: str, method: str, params: dict[str, Any]
) -> None:
    t = secured.topics
    store = devices_store(secured)
    if store.door("d1") is None:
        store.add_unit("3-2-1501")
        store.add_door("d1", "Building 3 entrance 2", ["3-2"])
    events_before = store.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
    seen = Seen()
    watch = secured.bus("watch")
    watch.subscribe(t.all("#"), seen)
    watch.start(timeout=10)
    asker = secured.bus(user)
    asker.start(timeout=10)
    topic = t.api(user, method)
    corr = f"corr-{new_id()}"
    reply_to = t.reply(user, f"{user}/{method}")
    body = {"params": params, "reply_to": reply_to, "corr": corr}
    try:
        asker.publish(topic, body, qos=1, retain=True, response_topic=reply_to,
                      correlation=corr.encode())  # fmt: skip
        # The observer has it: the broker holds it retained for the next subscriber.
        assert seen.wait_for(lambda m: m.topic == topic), "the retained request never arrived"
        mark = seen.mark()
        with running_core(secured, store) as core:
            # The fence: a live request, answered after whatever the core was handed on start.
            asker.request("pass.station_list" if user == "st1" else "status", {}, timeout=15)
            after = seen.since(mark)
            assert [m.topic for m in after if m.topic == t.door_cmd("d1")] == []
            answers = [m for m in after if m.correlation == corr.encode() or
                       (corr.encode() in m.payload and "/api/" not in m.topic)]  # fmt: skip
            assert answers == [], "the core answered the retained request"
            assert core.counters["api.retained"] == 1
            logged = store.query("SELECT type FROM events ORDER BY seq")[events_before:]
            assert [r["type"] for r in logged if r["type"].startswith(("door.", "pass."))] == []
    finally:
        asker.publish(topic, b"", qos=1, retain=True)  # clear it for the next test
        asker.stop()
        watch.stop()
