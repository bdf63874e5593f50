"""Lockdown and remote opens from the officer wall, each confirmed by a named officer.

Both go through the core's own API (``lockdown.set``, ``door.unlock``), which decides and logs
them with the wall's broker user beside the name typed here (``compound/services/remote_open.py``;
who may do what: docs/security.md, "The officer wall's lockdown and remote opens"). During a
lockdown an open is an override: the officer must say so explicitly (a separate switch in the
dialog) and give the reason, and the core logs it as an override; without it nothing is sent.
The lockdown state shown is the core's retained ``site/lockdown``, not what the wall last asked.
An open is "sent" when the core has sent the signed command, and "opened" (or the door's
refusal) when the door answers it on ``door/<door>/ack``, as ``compound door unlock`` says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Live, Reply
from ui.i18n import Strings

ACKS_KEPT = 50  # door answers kept for a reply still on its way


def open_problem(by: str, reason: str, lockdown: bool, override: bool) -> str | None:
    """What is missing before a remote open may be sent (a string key), or None."""
    if not by.strip():
        return "officer.ack_need_by"
    if not reason.strip():
        return "control.need_reason"
    if lockdown and not override:
        return "control.need_override"
    return None


class WallControl:
    def __init__(self, gateway: Gateway, strings: Strings, changed: Callable[[], None]) -> None:
        self.gw = gateway
        self.t = strings
        self.changed = changed
        self.lockdown: bool | None = None  # None until the core's retained state arrives
        self.note = ""  # the outcome of the last lockdown or open, shown under the door area
        self.note_ok = True
        self.sent: list[dict[str, Any]] = []  # what was asked, newest last (a wall's own record)
        # The doors' answers by command id; a door may answer before the core's reply arrives.
        self._acks: dict[str, dict[str, Any]] = {}
        self._waiting: dict[str, str] = {}  # command id -> the door's name on the screen
        gateway.subscribe("site/lockdown", self._on_lockdown)
        gateway.subscribe("door/+/ack", self._on_ack)

    def _on_ack(self, msg: Live) -> None:
        body = msg.json()
        if not isinstance(body, dict) or not isinstance(body.get("command_id"), str):
            return
        cid = body["command_id"]
        if cid in self._waiting:
            self._answered(self._waiting.pop(cid), body)
        else:
            self._acks[cid] = body
            while len(self._acks) > ACKS_KEPT:
                del self._acks[next(iter(self._acks))]

    def _answered(self, name: str, ack: dict[str, Any]) -> None:
        if ack.get("ok") is True:
            self._tell(self.t("control.door_opened", door=name), True)
        else:
            reason = str(ack.get("reason") or "?")
            self._tell(self.t("control.door_refused", door=name, reason=reason), False)

    def _on_lockdown(self, msg: Live) -> None:
        body = msg.json()
        if isinstance(body, dict) and isinstance(body.get("on"), bool):
            self.lockdown = body["on"]
            self.changed()

    def _tell(self, text: str, ok: bool) -> None:
        self.note, self.note_ok = text, ok
        self.changed()

    def set_lockdown(self, on: bool, by: str) -> str | None:
        """Ask the core to start or lift the lockdown; a problem key if the name is missing."""
        if not by.strip():
            return "officer.ack_need_by"
        params = {"on": on, "by": by.strip()[:100]}
        self.sent.append({"method": "lockdown.set", **params})

        def done(reply: Reply) -> None:
            if not reply.ok:
                self._tell(self.t("control.failed", message=reply.error), False)
                return
            self.lockdown = bool((reply.result or {}).get("lockdown", on))
            self._tell(self.t("control.lockdown_on" if on else "control.lockdown_off"), True)

        self.gw.request("lockdown.set", params, done)
        return None

    def open_door(
        self, door: str, name: str, by: str, reason: str, override: bool = False
    ) -> str | None:
        """Ask the core to open ``door`` (``name`` for the screen); a problem key if the
        confirmation is incomplete, in which case nothing is sent."""
        lockdown = bool(self.lockdown)
        problem = open_problem(by, reason, lockdown, override)
        if problem is not None:
            return problem
        params: dict[str, Any] = {
            "door": door,
            "by": by.strip()[:100],
            "reason": reason.strip()[:200],
        }
        if lockdown:
            params["override"] = True
        self.sent.append({"method": "door.unlock", **params})

        def done(reply: Reply) -> None:
            if reply.ok:
                result = reply.result or {}
                over = bool(result.get("override"))
                key = "control.opened_override" if over else "control.opened"
                self._tell(self.t(key, door=name), True)
                cid = str(result.get("command_id") or "")
                if cid in self._acks:
                    self._answered(name, self._acks.pop(cid))
                elif cid:
                    self._waiting[cid] = name
            elif "lockdown" in reply.error:
                # The core's refusal names a CLI flag; the wall says it in the officer's words.
                self._tell(self.t("control.refused_lockdown", door=name), False)
            else:
                self._tell(self.t("control.not_opened", door=name, message=reply.error), False)

        self.gw.request("door.unlock", params, done)
        return None
