"""Who asks the core, and where it answers, on a real Mosquitto with the shipped config and a
credential per device.

The broker does not tell a subscriber who published a message, so a request names its asker in
its topic, ``api/<broker user>/<method>``, and the ACL lets each user write there under its own
name only. The core logs that user as the actor of what it does (the name typed in the request
stays beside it as ``by``) and answers only under ``reply/<that user>/``: a device taken over
cannot use the core, which may write every topic of the site, to publish where it may not.

A message that must not arrive is judged with a fence, never a sleep: something sent after it
on the same path, whose arrival shows the forbidden one could no longer come.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from compound.adapters.mqtt import Bus, Message
from compound.ports import ACTOR
from compound.protocol.messages import new_id
from compound.services.core import Core
from tests.security.conftest import SecuredBroker, Seen

pytestmark = [pytest.mark.integration]


def ask(bus: Bus, user: str, method: str, reply_to: str, params: dict[str, Any], v5: bool) -> str:
    """Publish a request by hand under ``user``'s name; return its correlation id. The reply
    topic goes in the body, and with ``v5`` also as the MQTT 5 response topic property, which
    the server reads first."""
    corr = f"corr-{new_id()}"
    body = {"params": params, "reply_to": reply_to, "corr": corr}
    props: dict[str, Any] = {"response_topic": reply_to, "correlation": corr.encode()} if v5 else {}
    bus.publish(bus.topics.api(user, method), body, qos=1, **props)
    return corr


def answer_to(corr: str) -> Callable[[Message], bool]:
    """Whether a message answers the request with this correlation id (the request itself,
    seen by the observer on its api/ topic, carries the id too)."""
    return lambda m: (
        "/api/" not in m.topic and (m.correlation == corr.encode() or corr.encode() in m.payload)
    )


def test_a_panel_cannot_make_the_core_publish_outside_its_own_reply_topic(
    secured: SecuredBroker, site: tuple[Core, Seen]
) -> None:
    """A panel may ask for the door list; asked to answer on a door's command topic, the
    lockdown state, the event stream or another user's replies, the core publishes nothing
    there and counts the refusal. The fence: a proper request sent after them, answered on the
    panel's own reply topic; the core answers in order, so once that answer is in, no answer
    to the earlier ones can follow."""
    core, seen = site
    t = secured.topics
    panel = secured.bus("panel1")
    panel.start(timeout=10)
    elsewhere = [
        t.door_cmd("d1"),
        t.site_lockdown,
        t.events("access.granted"),
        t.notice,
        t.reply("console1", "cli-1/door.list"),  # another user's answers
        t.reply("panel10", "panel10/door.list"),  # a user whose name starts with its own
        t.reply("panel1", ""),  # no topic under its own: nothing to publish on
    ]
    refused_before = core.counters["api.reply_refused"]
    mark = seen.mark()
    try:
        corrs = [
            ask(panel, "panel1", "door.list", topic, {}, v5)
            for topic in elsewhere
            for v5 in (False, True)
        ]
        fence = ask(panel, "panel1", "door.list", t.reply("panel1", "panel1/door.list"), {}, True)
        assert seen.wait_for(answer_to(fence)), "the fence was not answered: cannot judge"
    finally:
        panel.stop()
    after = seen.since(mark)
    replies = [m for m in after if any(answer_to(c)(m) for c in corrs)]
    assert replies == [], f"the core answered on {[m.topic for m in replies]}"
    assert not [m for m in after if m.topic in elsewhere], "the core published where it was told"
    assert core.counters["api.reply_refused"] - refused_before == len(corrs)


def test_the_log_names_the_broker_user_not_the_name_typed(
    secured: SecuredBroker, site: tuple[Core, Seen]
) -> None:
    """A console asks, as the CLI does, with a client id of its own choosing and someone
    else's name typed (and a forged actor among the parameters): door.unlock, alarm.ack and
    lockdown.set are logged with its broker user as the actor, the typed name beside it."""
    core, _ = site
    store = core.store
    console = secured.bus("console1", client_id=f"cli-{new_id()[:8]}")
    console.start(timeout=10)
    forged = {"by": "manager Li", ACTOR: "console2"}
    try:
        console.request("door.unlock", {"door": "d1", "reason": "parcel", **forged})
        alarm = store.raise_alarm("tamper", "d1: reader tampered with", door_id="d1")
        console.request("alarm.ack", {"id": alarm.id, "note": "checked", **forged})
        console.request("lockdown.set", {"on": True, **forged})
        console.request("lockdown.set", {"on": False, "by": "manager Li"})
    finally:
        console.stop()
    unlock = store.events(types=["door.remote_unlock"])[-1]
    assert unlock.data == {"actor": "console1", "by": "manager Li", "reason": "parcel"}
    ack = store.events(types=["alarm.acknowledged"])[-1]
    assert ack.data == {"alarm_id": alarm.id, "actor": "console1", "by": "manager Li",
                        "note": "checked"}  # fmt: skip
    lockdowns = [e.data for e in store.events(types=["site.lockdown"])[-2:]]
    assert lockdowns == [
        {"on": True, "actor": "console1", "by": "manager Li"},
        {"on": False, "actor": "console1", "by": "manager Li"},
    ]


@pytest.mark.parametrize(
    ("name", "as_user", "method", "params"),
    [
        ("console1", "console2", "door.unlock", {"door": "d1", "reason": "x", "by": "console2"}),
        ("panel1", "console1", "door.unlock", {"door": "d1", "reason": "x", "by": "console1"}),
        ("panel1", "panel2", "door.list", {}),
    ],
)
def test_no_request_under_another_users_name(
    secured: SecuredBroker,
    site: tuple[Core, Seen],
    name: str,
    as_user: str,
    method: str,
    params: dict[str, Any],
) -> None:
    """The broker drops a request published under another user's name: neither the core nor
    anyone else receives it, so nothing is done or logged in that user's name. The fence: a
    request the same client may make, sent next and answered by the core, which would have
    received the forged one before it."""
    core, seen = site
    t = secured.topics
    bus = secured.bus(name)
    bus.start(timeout=10)
    unlocks = len(core.store.events(types=["door.remote_unlock"]))
    mark = seen.mark()
    try:
        forged = ask(bus, as_user, method, t.reply(as_user, f"x/{method}"), params, True)
        fence = ask(bus, name, "door.list", t.reply(name, f"{name}/door.list"), {}, True)
        assert seen.wait_for(answer_to(fence)), "the fence was not answered: cannot judge"
    finally:
        bus.stop()
    after = seen.since(mark)
    assert not [m for m in after if m.topic == t.api(as_user, method)], "the broker let it in"
    assert not [m for m in after if answer_to(forged)(m)]
    assert not [m for m in after if m.topic == t.door_cmd("d1")]
    assert len(core.store.events(types=["door.remote_unlock"])) == unlocks
