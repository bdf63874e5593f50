"""The wall's alarm zones (区域报警): every zone the core heard of, with its kind, state, arming
and last trip, the troubled ones first, and arming or disarming one by an identified officer.

Made when the zones view is first shown, never for the overview: it then subscribes to the
zones' retained states (``zone/+/+/state``, one message a zone whenever it changes) and to the
core's ``zone.armed`` / ``zone.disarmed`` events without waiting on the UI thread, and once the
broker has confirmed that, reads ``zone.list`` a page (at most 200) at a time: a zone changed
after the read comes as a message. A state message changes that one zone in place; the list is
not asked again for it.
Whether a zone armed by a schedule is armed at this hour is the core's word from ``zone.list``,
asked again when the view is shown again.

Arming and disarming go through ``zone.arm_officer`` / ``zone.disarm_officer``
(``compound/services/zone_officer.py``): the officer's card or PIN, never a typed name; a
refusal (not a duty officer's card or PIN, a 24-hour zone) is said in the screen's language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from compound.config.hardware import ALWAYS_ARMED_ZONES
from compound.domain.paging import MAX_SIZE
from ui.gateway import Gateway, Live, Reply
from ui.i18n import Strings
from ui.i18n_core import core_text
from ui.viewmodels.officer_ack import credential_problem, refusal_text

Key = tuple[str, str]  # (bridge, zone)
# Troubled first: a trip, a cut or shorted loop, a zone the bridge no longer hears.
FIRST = {"alarm": 0, "tamper": 1, "offline": 2}
ORDERS = ("bridge", "name")
MAX_PAGES = 50  # 10,000 zones: past this a total is a mistake, not a compound
STATE_MAX = 4096  # bytes of a zone's state message, as the core bounds it
EVENTS = ("events/zone.armed", "events/zone.disarmed")
Done = Callable[["str | None"], Any]  # told None when done, else why not


def _text(v: Any, most: int) -> str:
    return v[:most] if isinstance(v, str) else ""


def _trip_at(v: Any) -> float | None:
    at = v.get("at") if isinstance(v, dict) else None
    return float(at) if isinstance(at, int | float) and not isinstance(at, bool) else None


class ZoneBoard:
    def __init__(self, gateway: Gateway, strings: Strings, changed: Callable[[], None]) -> None:
        self.gw = gateway
        self.t = strings
        self.changed = changed
        self.zones: dict[Key, dict[str, Any]] = {}
        self.total: int | None = None  # the core's count; None until its first page came
        self.order = "bridge"
        self.page_no = 1
        self.page_size = 10
        self.note = ""  # the outcome of the last arming, in the screen's language
        self.note_ok = True
        self.busy = False
        self.listening = False  # the view is shown and wants the zones
        self._subscribed = "no"  # to the zones' messages: "no", "asking" the broker, "yes"
        self._load = 0
        self._sorted: tuple[tuple[int, str], list[dict[str, Any]]] | None = None
        self._rev = 0  # counted up on every change of a zone: the sort is made again only then

    # -- loading and listening -------------------------------------------------------------

    def start(self) -> None:
        """Follow the zones' states and arming, and read the list once the broker has confirmed
        that (the view is shown); on the UI thread, so it does not wait for the broker."""
        self.listening = True
        if self._subscribed == "yes":
            self.load()
        elif self._subscribed == "no":
            self._subscribed = "asking"
            subs = [("zone/+/+/state", self._on_state)]
            subs += [(topic, self._on_arming) for topic in EVENTS]
            self.gw.subscribe_then(subs, self._confirmed)
        # "asking": the list is read once the broker has confirmed

    def _confirmed(self) -> None:
        self._subscribed = "yes"
        if self.listening:
            self.load()
        else:
            self._unsubscribe()  # hidden before the broker confirmed

    def stop(self) -> None:
        self.listening = False
        if self._subscribed == "yes":
            self._unsubscribe()
        # "asking": unsubscribed once the broker has confirmed, as the subscription then exists

    def _unsubscribe(self) -> None:
        self._subscribed = "no"
        self.gw.unsubscribe("zone/+/+/state")
        for topic in EVENTS:
            self.gw.unsubscribe(topic)

    def load(self) -> None:
        self._load += 1
        self._ask(1, self._load)

    def _ask(self, page: int, load: int) -> None:
        params = {"page": page, "size": MAX_SIZE}
        self.gw.request("zone.list", params, lambda r: self._on_page(r, page, load))

    def _on_page(self, reply: Reply, page: int, load: int) -> None:
        if load != self._load or not reply.ok or not isinstance(reply.result, dict):
            if not reply.ok and load == self._load:
                self.note = (
                    self.t("unavailable") if reply.unavailable else core_text(reply.error, self.t)
                )
                self.note_ok = False
                self.changed()
            return
        items = [z for z in reply.result.get("zones") or [] if isinstance(z, dict)]
        for z in items:
            self._take(str(z.get("bridge") or ""), z, listed=True)
        self.total = int(reply.result.get("total") or 0)
        self._rev += 1
        self.changed()
        if items and page * MAX_SIZE < self.total and page < MAX_PAGES:
            self._ask(page + 1, load)

    def _take(self, bridge: str, z: dict[str, Any], listed: bool = False) -> Key | None:
        zone = _text(z.get("zone"), 64)
        if not bridge or not zone:
            return None
        key = (bridge, zone)
        had = self.zones.get(key, {})
        kind = _text(z.get("kind"), 16)
        row = {
            "bridge": bridge,
            "zone": zone,
            "name": _text(z.get("name"), 64) or zone,
            "location": _text(z.get("location"), 128),
            "kind": kind,
            "state": _text(z.get("state"), 16),
            "trip_at": _trip_at(z.get("trip")),
            # Arming is the core's: a state message keeps what the list or an event said.
            "armed": z.get("armed") if listed else had.get("armed", True),
            "schedule": z.get("schedule") if listed else had.get("schedule"),
            "always": kind in ALWAYS_ARMED_ZONES,
        }
        self.zones[key] = row
        return key

    def _on_state(self, live: Live) -> None:
        if len(live.levels) != 4 or len(live.payload) > STATE_MAX:
            return
        body = live.json()
        if not isinstance(body, dict) or body.get("zone") != live.levels[2]:
            return
        if self._take(live.levels[1], body) is not None:
            self._rev += 1
            self.changed()

    def _on_arming(self, live: Live) -> None:
        e = live.json()
        data = e.get("data") if isinstance(e, dict) else None
        if not isinstance(data, dict):
            return
        row = self.zones.get((str(data.get("bridge")), str(data.get("zone"))))
        if row is None:
            return
        row["armed"] = e.get("type") == "zone.armed"
        row["schedule"] = data.get("schedule") if row["armed"] else None
        self._rev += 1
        self.changed()

    # -- what is shown -----------------------------------------------------------------------

    def rows(self) -> list[dict[str, Any]]:
        """Every zone: tripped, tampered and offline first, then by bridge or by name."""
        if self._sorted is None or self._sorted[0] != (self._rev, self.order):

            def key(z: dict[str, Any]) -> tuple[Any, ...]:
                first = FIRST.get(z["state"], len(FIRST))
                if self.order == "name":
                    return (first, z["name"].casefold(), z["bridge"], z["zone"])
                return (first, z["bridge"], z["name"].casefold(), z["zone"])

            self._sorted = ((self._rev, self.order), sorted(self.zones.values(), key=key))
        return self._sorted[1]

    def counts(self) -> Counter[str]:
        """Zones in each state, and how many are disarmed."""
        c = Counter(z["state"] for z in self.zones.values())
        c["disarmed"] = sum(1 for z in self.zones.values() if z["armed"] is False)
        return c

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.zones) // self.page_size))

    def page(self) -> list[dict[str, Any]]:
        self.page_no = min(self.page_no, self.pages)
        start = (self.page_no - 1) * self.page_size
        return self.rows()[start : start + self.page_size]

    def fit(self, rows: int) -> None:
        if rows >= 1 and rows != self.page_size:
            self.page_size = rows
            self.changed()

    def set_order(self, order: str) -> None:
        if order in ORDERS and order != self.order:
            self.order, self.page_no = order, 1
            self.changed()

    def next_page(self) -> None:
        self.page_no = self.page_no + 1 if self.page_no < self.pages else 1
        self.changed()

    def prev_page(self) -> None:
        self.page_no = self.page_no - 1 if self.page_no > 1 else self.pages
        self.changed()

    # -- arming ------------------------------------------------------------------------------

    def set_armed(
        self,
        key: Key,
        armed: bool,
        kind: str,
        value: str,
        reason: str = "",
        done: Done | None = None,
    ) -> str | None:
        """Ask the core to arm or disarm a zone as the officer this card or PIN names; a problem
        key when something is missing (then nothing is sent)."""
        problem = "ack.waiting" if self.busy else credential_problem(kind, value)
        if problem is not None:
            return problem
        row = self.zones.get(key)
        name = row["name"] if row else key[1]
        params: dict[str, Any] = {"zone": key[1], "bridge": key[0], "kind": kind}
        params["value"] = value.strip()
        if not armed and reason.strip():
            params["reason"] = reason.strip()[:200]

        def answered(reply: Reply) -> None:
            self.busy = False
            result = reply.result if reply.ok and isinstance(reply.result, dict) else {}
            why: str | None
            if not reply.ok:
                why = self.t("unavailable") if reply.unavailable else core_text(reply.error, self.t)
            else:
                why = refusal_text(result, self.t, "control.unknown")
            if why is None:
                if row is not None:
                    row["armed"], row["schedule"] = armed, None
                    self._rev += 1
                done_key = "zones.armed_by" if armed else "zones.disarmed_by"
                self.note, self.note_ok = self.t(done_key, zone=name, by=result.get("by", "")), True
            elif not reply.ok:
                self.note, self.note_ok = self.t("zones.not_done", zone=name, message=why), False
            self.changed()
            if done is not None:
                done(why)

        self.busy = True
        method = "zone.arm_officer" if armed else "zone.disarm_officer"
        self.gw.request(method, params, answered)
        return None
