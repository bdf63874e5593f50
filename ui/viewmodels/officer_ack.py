"""Acknowledging an incident at the wall as an identified duty officer: the officer swipes their
card (the wall's USB reader types the number and Enter into the focused field) or types their
PIN on the pad, and writes or picks a remark; the core (``alarm.ack_officer``) names the officer
or refuses. A refusal is shown in the screen's language and nothing is acknowledged."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ui.gateway import Gateway, Reply
from ui.i18n import Strings

KINDS = ("card", "pin")
# A USB card reader types a whole number in a few milliseconds; a person takes a tenth of a
# second or more per key. Digits that came this fast on average at the end of the remark (one
# slow screen frame may hold some back: READER_GAP_S) are a card.
READER_KEY_S = 0.035
READER_GAP_S = 0.3
READER_MIN_DIGITS = 4
REMARKS = ("ack.remark.on_site", "ack.remark.false_alarm", "ack.remark.called")


def ack_problem(kind: str, value: str, note: str) -> str | None:
    """What is missing before asking the core (a string key), or None."""
    if kind not in KINDS:
        return "ack.need_credential"
    if not note.strip():
        return "ack.need_note"
    return credential_problem(kind, value)


def credential_problem(kind: str, value: str) -> str | None:
    """What is wrong with the card or PIN before asking the core (a string key), or None; the
    wall's lockdown and remote opens ask the same (``ui/viewmodels/officer_control.py``)."""
    if kind not in KINDS:
        return "ack.need_credential"
    if not value.strip():
        return "ack.need_card" if kind == "card" else "ack.need_pin"
    if not value.strip().isdigit():
        return "ack.bad_card" if kind == "card" else "ack.bad_pin"
    return None


def refusal_text(result: dict[str, Any], t: Strings, unknown_key: str) -> str | None:
    """The core's refusal of an officer's card or PIN (``{"refused": ...}``) in the screen's
    language, or None when it was not refused."""
    if result.get("refused") == "locked":
        return t("ack.locked", s=int(result.get("retry_in") or 0))
    if result.get("refused"):
        left = result.get("tries_left")
        return t(unknown_key) + (t("ack.tries_left", n=left) if isinstance(left, int) else "")
    return None


def reader_burst(text: str, stamps: list[float], now: float) -> tuple[str, str] | None:
    """(remark, card number) when the digits typed last into ``text`` came as a card reader
    types them (``stamps[i]``: when character i came; ``now``: when Enter came), else None: a
    card swiped while the remark field had the focus is the card, wherever the cursor stood."""
    if len(stamps) != len(text) or not text:
        return None
    runs = [m.span() for m in re.finditer(r"[0-9]+", text)]
    if not runs:
        return None
    a, b = max(runs, key=lambda r: max(stamps[r[0] : r[1]]))
    if b - a < READER_MIN_DIGITS:
        return None
    times = [*sorted(stamps[a:b]), now]
    gaps = [y - x for x, y in zip(times, times[1:], strict=False)]
    if min(gaps) < 0 or max(gaps) > READER_GAP_S or sum(gaps) / len(gaps) > READER_KEY_S:
        return None
    return (text[:a] + text[b:]).strip(), text[a:b]


def restamp(was: str, text: str, stamps: list[float], now: float) -> list[float]:
    """The times of ``text``'s characters after an edit of ``was``: what was kept keeps its
    time, what came in is stamped ``now`` (one insertion or replacement per change)."""
    if len(stamps) != len(was):
        stamps = [0.0] * len(was)
    p = 0
    while p < min(len(was), len(text)) and was[p] == text[p]:
        p += 1
    q = 0
    while q < min(len(was), len(text)) - p and was[-1 - q] == text[-1 - q]:
        q += 1
    return stamps[:p] + [now] * (len(text) - p - q) + stamps[len(was) - q :]


class AckDesk:
    """What the acknowledgement window shows: the refusal or the result, and whether it is
    waiting for the core."""

    def __init__(self, gateway: Gateway, strings: Strings, changed: Callable[[], None]) -> None:
        self.gw = gateway
        self.t = strings
        self.changed = changed
        self.problem = ""  # why the last try did not acknowledge, in the screen's language
        self.note = ""  # the last acknowledgement, for the wall's status line
        self.busy = False

    def submit(
        self,
        ids: list[int],
        kind: str,
        value: str,
        note: str,
        done: Callable[[bool], Any] | None = None,
    ) -> bool:
        """Ask the core to acknowledge ``ids`` as the officer this card or PIN names; ``done``
        gets True when it did. False, with the reason in ``problem``, when something is
        missing or a request is already on its way."""
        problem = "ack.none" if not ids else ack_problem(kind, value, note)
        if problem is not None or self.busy:
            if problem is not None:
                self.problem = self.t(problem)
            self.changed()
            return False
        self.busy = True
        self.problem = ""
        self.changed()
        params = {"ids": list(ids), "kind": kind, "value": value.strip(), "note": note.strip()}
        self.gw.request("alarm.ack_officer", params, lambda r: self._answer(r, len(ids), done))
        return True

    def _answer(self, reply: Reply, asked: int, done: Callable[[bool], Any] | None) -> None:
        self.busy = False
        ok = False
        r = reply.result if reply.ok and isinstance(reply.result, dict) else {}
        if not reply.ok:
            self.problem = (
                self.t("unavailable") if reply.unavailable else self.t("error", message=reply.error)
            )
        elif (refused := refusal_text(r, self.t, "ack.unknown")) is not None:
            self.problem = refused
        else:
            ok = True
            acked = len(r.get("acknowledged") or [])
            key = "ack.done" if acked == asked else "ack.done_partly"
            self.note = self.t(key, by=str(r.get("by") or ""), n=acked, of=asked)
            self.problem = ""
        self.changed()
        if done is not None:
            done(ok)
