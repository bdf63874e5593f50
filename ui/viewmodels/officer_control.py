"""Lockdown and remote opens from the officer wall, each confirmed by an identified duty officer.

Both go through the core's API for the wall (``lockdown.set_officer``, ``door.unlock_officer``:
``compound/services/officer_control.py``): the officer's card or PIN is looked up among the duty
officers as for acknowledging alarms, and the core logs the officer it found; a card or PIN of
nobody on duty changes nothing, and the refusal (with the tries left, or the lockout) is said in
the dialog, which stays open for another try. During a lockdown an open is an override: the
officer must say so explicitly (a separate switch in the dialog) and give the reason, and the
core logs it as an override; without it nothing is sent. The lockdown state shown is the core's
retained ``site/lockdown``, not what the wall last asked. An open is "sent" when the core has
sent the signed command, and "opened" (or the door's refusal) when the door answers it on
``door/<door>/ack``, as ``compound door unlock`` says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Live, Reply
from ui.i18n import Strings
from ui.i18n_core import core_text
from ui.viewmodels.officer_ack import credential_problem, refusal_text

ACKS_KEPT = 50  # door answers kept for a reply still on its way
# Told when the core has answered: None when it was done, else why not (in the screen's language).
Done = Callable[["str | None"], Any]


def open_problem(kind: str, value: str, reason: str, lockdown: bool, override: bool) -> str | None:
    """What is missing before a remote open may be sent (a string key), or None."""
    if not reason.strip():
        return "control.need_reason"
    if lockdown and not override:
        return "control.need_override"
    return credential_problem(kind, value)


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
        self.busy = False  # a lockdown or an open is on its way to the core
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

    def _refused(self, reply: Reply) -> str | None:
        """Why the core did not do it (in the screen's language), or None when it did."""
        if not reply.ok:
            return self.t("unavailable") if reply.unavailable else core_text(reply.error, self.t)
        result = reply.result if isinstance(reply.result, dict) else {}
        return refusal_text(result, self.t, "control.unknown")

    def _ask(self, method: str, params: dict[str, Any], then: Callable[[Reply], Any]) -> None:
        self.busy = True
        self.sent.append({"method": method, **{k: v for k, v in params.items() if k != "value"}})

        def answered(reply: Reply) -> None:
            self.busy = False
            then(reply)

        self.gw.request(method, params, answered)

    def set_lockdown(self, on: bool, kind: str, value: str, done: Done | None = None) -> str | None:
        """Ask the core to start or lift the lockdown as the officer this card or PIN names; a
        problem key if something is missing (then nothing is sent)."""
        problem = "ack.waiting" if self.busy else credential_problem(kind, value)
        if problem is not None:
            return problem

        def answered(reply: Reply) -> None:
            why = self._refused(reply)
            if why is None:
                result = reply.result if isinstance(reply.result, dict) else {}
                self.lockdown = bool(result.get("lockdown", on))
                key = "control.lockdown_on" if on else "control.lockdown_off"
                self._tell(self.t(key, by=str(result.get("by") or "")), True)
            elif not reply.ok:
                self._tell(self.t("control.failed", message=why), False)
            if done is not None:
                done(why)

        params = {"on": on, "kind": kind, "value": value.strip()}
        self._ask("lockdown.set_officer", params, answered)
        return None

    def open_door(
        self,
        door: str,
        name: str,
        kind: str,
        value: str,
        reason: str,
        override: bool = False,
        done: Done | None = None,
    ) -> str | None:
        """Ask the core to open ``door`` (``name`` for the screen) as the officer this card or
        PIN names; a problem key if the confirmation is incomplete (then nothing is sent)."""
        lockdown = bool(self.lockdown)
        problem = open_problem(kind, value, reason, lockdown, override)
        if problem is None and self.busy:
            problem = "ack.waiting"
        if problem is not None:
            return problem
        params: dict[str, Any] = {
            "door": door,
            "kind": kind,
            "value": value.strip(),
            "reason": reason.strip()[:200],
        }
        if lockdown:
            params["override"] = True

        def answered(reply: Reply) -> None:
            why = self._refused(reply)
            if why is None:
                result = reply.result if isinstance(reply.result, dict) else {}
                over = bool(result.get("override"))
                key = "control.opened_override" if over else "control.opened"
                self._tell(self.t(key, door=name, by=str(result.get("by") or "")), True)
                cid = str(result.get("command_id") or "")
                if cid in self._acks:
                    self._answered(name, self._acks.pop(cid))
                elif cid:
                    self._waiting[cid] = name
            elif not reply.ok and "lockdown" in reply.error:
                # The core's refusal names a CLI flag; the wall says it in the officer's words.
                why = self.t("control.refused_lockdown", door=name)
                self._tell(why, False)
            elif not reply.ok:
                self._tell(self.t("control.not_opened", door=name, message=why), False)
            if done is not None:
                done(why)

        self._ask("door.unlock_officer", params, answered)
        return None
