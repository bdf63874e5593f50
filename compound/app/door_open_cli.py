"""``compound door unlock``: ask the core to open a door, then wait for the door's own answer.

The core's reply only says a command was sent. What counts is the bridge's answer on
``door/<door>/ack`` (``ok: true`` once the relay moved, or the reason it refused), so the
command prints "opened" or that reason, never "sent" alone; no answer within a few seconds is
said as such (exit 1). During a lockdown the core refuses the request unless ``--override``
is given (with the reason, which is logged): the refusal is printed and the exit code is 2.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from compound.adapters.mqtt import Message, eprint
from compound.app.context import Context

ACK_WAIT_S = 6.0  # the command itself expires after 3 s; the bridge answers well within that


def cmd_door_unlock(ctx: Context) -> int:
    a = ctx.args
    params: dict[str, Any] = {
        "door": a.door,
        "reason": a.reason,
        "by": a.by or os.environ.get("USER", "operator"),
    }
    if a.override:
        params["override"] = True
    answers: dict[str, dict[str, Any]] = {}
    arrived = threading.Condition()

    def on_ack(msg: Message) -> None:
        try:
            body = json.loads(msg.payload)
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("command_id"), str):
            with arrived:
                answers[body["command_id"]] = body
                arrived.notify_all()

    bus = ctx.bus(f"cli-{os.getpid()}")
    bus.start(timeout=float(os.environ.get("COMPOUND_BUS_TIMEOUT", "10")), announce=eprint)
    try:
        # Subscribed before asking: the bridge may answer before the core's reply arrives.
        bus.subscribe(ctx.topics().door_ack(a.door), on_ack)
        r = bus.request("door.unlock", params, timeout=5.0)
        cid = r["command_id"]
        with arrived:
            arrived.wait_for(lambda: cid in answers, timeout=ACK_WAIT_S)
            ack = answers.get(cid)
    finally:
        bus.stop()
    how = " (lockdown override)" if r.get("override") else ""
    if ack is None:
        ctx.out(
            {**r, "opened": False, "reason": "no answer from the door"},
            f"no answer from door {a.door} within {ACK_WAIT_S:.0f} s: it may not have opened "
            f"(command {cid}{how}); check `compound door list`",
        )
        return 1
    if ack.get("ok") is True:
        ctx.out({**r, "opened": True}, f"opened {a.door}{how} (command {cid})")
        return 0
    why = str(ack.get("reason", "unknown"))
    ctx.out(
        {**r, "opened": False, "reason": why},
        f"door {a.door} refused the command: {why}{how} (command {cid})",
    )
    return 1
