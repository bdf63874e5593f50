"""The officer's wall display: door states, live passages, alarms, entries per hour, lists."""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from compound.domain.clock import Clock
from ui.gateway import Gateway, Live, Reply
from ui.i18n import Strings
from ui.i18n_alarms import door_note_zh, rule_message_zh
from ui.viewmodels.base import Availability, Observable
from ui.viewmodels.door_pages import DoorPages
from ui.viewmodels.officer_ack import AckDesk
from ui.viewmodels.officer_alarms import Bell, Incident, incidents
from ui.viewmodels.officer_calls import CallDesk
from ui.viewmodels.officer_chart import HOURS, hour_bins
from ui.viewmodels.officer_doors import (
    DOOR_STATES,
    DoorChanges,
    DoorGroup,
    DoorTile,
    abnormal_tiles,
    group_tiles,
    local_name,
)
from ui.viewmodels.officer_events import EventViewer
from ui.viewmodels.officer_lists import PagedLists, describe_row
from ui.viewmodels.officer_search import PassageSearch
from ui.viewmodels.officer_urgent import UrgentAlerts
from ui.viewmodels.person_names import PersonNames
from ui.viewmodels.site_map import SiteMap

__all__ = ["DOOR_STATES", "DoorTile", "OfficerVM", "describe_row", "hour_bins"]

PASSAGE_TYPES = ("access.granted", "access.denied")
PASSAGES = 40  # live passages on the wall
ALARM_PAGE = 60  # open alarms fetched, most severe first; shown as incidents


class OfficerVM(Observable):
    def __init__(
        self,
        gateway: Gateway,
        strings: Strings,
        clock: Clock,
        station: str = "wall",
        ring_group: str = "officer",
    ) -> None:
        super().__init__()
        self.gw = gateway
        self.t = strings
        self.clock = clock
        self.site = ""
        self.availability = Availability(gateway, strings)
        self.availability.listeners.append(self.changed)
        self.doors: dict[str, DoorTile] = {}
        # Up when a door's tile changes (state, alarm) / the doors do (one came, or renamed).
        self.door_rev = self.door_layout_rev = 0
        self.door_changes = DoorChanges()  # which doors, so screens look at those only
        self.door_pages = DoorPages(gateway, self._on_doors)  # door.list, page after page
        self.passages: deque[dict[str, Any]] = deque(maxlen=PASSAGES)
        self.alarms: list[dict[str, Any]] = []
        self.alarm_total = 0
        self.alarm_counts: dict[str, int] = {}
        self._alarm_asked = self._alarm_shown = 0  # alarm queue requests sent / last applied
        self.door_alarms: dict[str, str] = {}  # door → the alarm kind its tile shows
        # Entries per hour: the core's histogram over the whole log (stats.hourly), asked
        # again every minute; a live entry adds one to the current hour meanwhile.
        self.hourly: list[int] = [0] * HOURS
        self.chart_hour = int(clock.now() // 3600)  # the clock hour of the last bar
        self.chart_source = ""  # "core" once the core's histogram came
        self.paged = PagedLists(gateway, self.changed)
        self.lists = self.paged.rows  # the rows of each list's page; None: not on this box
        self.list_totals = self.paged.totals
        self.finder = PassageSearch(gateway, self.changed)
        self.acks = AckDesk(gateway, strings, self.changed)  # acknowledging by card or PIN
        # Answers calls ringing its group (emergency button); critical alarms and calls sound.
        self.bell = Bell()
        self.urgent = UrgentAlerts(gateway, self.changed)  # the pop-up with the door's picture
        self.bell.urgent = self.urgent.fresh
        self.calls = CallDesk(gateway, station, ring_group, self.changed, self.bell.call, clock.now)
        self.map = SiteMap(gateway, self.changed)  # asked for when the map is first shown
        self.names = PersonNames(gateway, self.changed)  # of the people in passage lines
        self.events = EventViewer(
            gateway, strings, clock, self.changed, self.describe_event, self.names.want
        )
        gateway.subscribe("door/+/state", self._on_door_state)
        gateway.subscribe("events/#", self._on_event)

    # -- loading ---------------------------------------------------------------------------

    def load(self) -> None:
        self.gw.request("status", {}, self._on_status)
        self.door_pages.load()
        self.refresh_alarms()
        self.gw.request(
            "events.page", {"types": list(PASSAGE_TYPES), "size": PASSAGES}, self._on_recent
        )
        self.refresh_chart()
        self.paged.load()

    def refresh_chart(self) -> None:
        """Ask the core for the 24-hour histogram (the screen does every minute)."""
        self.gw.request("stats.hourly", {"hours": HOURS}, self._on_hourly)

    def refresh_lists(self) -> None:
        for key in self.lists:
            self.paged.fetch(key)

    def refresh_alarms(self) -> None:
        # Answers may come back out of order (the gateway asks on two threads): an older answer
        # must never replace a newer one, or an alarm just raised would vanish from the wall.
        self._alarm_asked += 1
        asked = self._alarm_asked
        self.gw.request(
            "alarm.page", {"open": True, "size": ALARM_PAGE}, lambda r: self._on_alarms(r, asked)
        )

    def _on_status(self, reply: Reply) -> None:
        if reply.ok:
            self.site = str(reply.result.get("site") or "")
            self.changed()

    def _on_doors(self, page: list[dict[str, Any]]) -> None:
        for d in page:
            tile = self.doors.get(d["id"]) or DoorTile(
                d["id"], d.get("name") or d["id"], alarm=self.door_alarms.get(d["id"], "")
            )
            was = (d["id"] in self.doors, tile.name, tile.serves, tile.state)
            tile.name = d.get("name") or d["id"]
            tile.serves = [str(x) for x in d.get("serves") or []]
            if tile.state == "unknown":
                tile.state = d.get("state") or "unknown"
            self.doors[d["id"]] = tile
            if was != (True, tile.name, tile.serves, tile.state):
                self._door_touched(tile.id, layout=was[:3] != (True, tile.name, tile.serves))
        self.changed()

    def _door_touched(self, door: str, layout: bool = False) -> None:
        self.door_rev = self.door_changes.touch(door)
        if layout:
            self.door_layout_rev += 1

    def _on_alarms(self, reply: Reply, asked: int = 0) -> None:
        if not reply.ok or not isinstance(reply.result, dict) or asked < self._alarm_shown:
            return
        self._alarm_shown = asked
        r = reply.result
        self.alarms = list(r.get("items") or [])  # the core's order: most severe, then newest
        self.bell.check(self.alarms)
        self.alarm_total = int(r.get("total") or 0)
        self.alarm_counts = dict(r.get("counts") or {})
        self.door_alarms = {str(k): str(v) for k, v in (r.get("doors") or {}).items()}
        for door, tile in self.doors.items():
            alarm = self.door_alarms.get(door, "")
            if tile.alarm != alarm:
                tile.alarm = alarm
                self._door_touched(door)
        self.changed()

    def _on_recent(self, reply: Reply) -> None:
        if not reply.ok or not isinstance(reply.result, dict):
            return
        events = list(reply.result.get("items") or [])
        for e in reversed(events):
            self.passages.append(e)
        self.names.want([e.get("person_id") for e in events])
        self.changed()

    def _on_hourly(self, reply: Reply) -> None:
        # The core counts over the whole log; the wall never makes a chart of its own from
        # the few passages it has seen.
        if reply.ok and isinstance(reply.result, list) and len(reply.result) == HOURS:
            self.hourly = [
                int(v if not isinstance(v, dict) else v.get("entries", 0)) for v in reply.result
            ]
            self.chart_hour = int(self.clock.now() // 3600)
            self.chart_source = "core"
            self.changed()

    def _count_entry(self, at: float) -> None:
        """One live entry: one more in its hour, the bars moved on when a new hour began."""
        hour = int(self.clock.now() // 3600)
        if hour > self.chart_hour:
            shift = min(hour - self.chart_hour, HOURS)
            self.hourly = self.hourly[shift:] + [0] * shift
            self.chart_hour = hour
        i = HOURS - 1 - (self.chart_hour - int(at // 3600))
        if 0 <= i < HOURS:
            self.hourly[i] += 1

    # -- live ------------------------------------------------------------------------------

    def _on_door_state(self, live: Live) -> None:
        if len(live.levels) != 3:
            return
        door = live.levels[1]
        body = live.json()
        state = body.get("state") if isinstance(body, dict) else None
        if not isinstance(state, str):
            return
        tile = self.doors.get(door)
        if tile is None:
            tile = self.doors[door] = DoorTile(door, door)
            self._door_touched(door, layout=True)
        if tile.state != state:
            tile.state = state
            self._door_touched(door)
        self.changed()

    def _on_event(self, live: Live) -> None:
        e = live.json()
        if not isinstance(e, dict):
            return
        type_ = str(e.get("type") or "")
        if type_ in PASSAGE_TYPES:
            seq = e.get("seq")
            if seq is not None and any(p.get("seq") == seq for p in self.passages):
                return  # said again (the bus delivers at least once), or in the first page
            self.passages.append(e)
            if type_ == "access.granted":
                self._count_entry(float(e.get("at") or self.clock.now()))
            # A passage of someone whose name is not known yet is drawn when the name arrives:
            # drawn at once it was drawn twice, its line changing from "#id" to the name.
            if not self.names.want([e.get("person_id")]):
                self.changed()
        elif type_.startswith("alarm."):
            self.refresh_alarms()
        elif type_.startswith("siteplan.") and self.map.available:
            self.map.load()  # the manager changed the plan or placed a door

    # -- actions ---------------------------------------------------------------------------

    def acknowledge(
        self,
        alarm_ids: int | list[int],
        kind: str,
        value: str,
        note: str,
        done: Callable[[bool], Any] | None = None,
    ) -> bool:
        """Acknowledge an alarm, or every alarm of an incident, as the duty officer the card
        or PIN names, with the remark; the queue is asked again when the core has answered."""
        ids = [alarm_ids] if isinstance(alarm_ids, int) else list(alarm_ids)

        def answered(ok: bool) -> None:
            self.refresh_alarms()
            if done is not None:
                done(ok)

        return self.acks.submit(ids, kind, value, note, answered)

    @property
    def ack_note(self) -> str:
        return self.acks.note

    def incidents(self) -> list[Incident]:
        return incidents(self.alarms)

    def incident_line(self, inc: Incident, most: int | None = None) -> str:
        """One incident: its alarm's line, or the kind, how many and where (``most`` named)."""
        if len(inc.alarms) == 1:
            return self.alarm_line(inc.first)
        at, since = (time.strftime("%H:%M:%S", time.localtime(x)) for x in inc.times)
        severity = self.t(f"severity.{inc.severity}")
        doors, named = inc.doors, inc.doors if most is None else inc.doors[:most]
        where = ", ".join(self.door_name(d) for d in named)
        if len(named) < len(doors):
            where += " " + self.t("officer.incident_more", n=len(doors) - len(named))
        many = self.t("officer.incident_many", n=len(inc.alarms), since=since)
        return f"{at}  [{severity}]  {self.kind_name(inc.kind)} {many}  {where}"

    def kind_name(self, kind: str) -> str:
        name = self.t(f"alarm.{kind}")
        return self.t("alarm.other") if name.startswith("alarm.") else name

    def search(self, text: str) -> None:
        """A person's passages: by id when digits, otherwise by (part of) the name."""
        self.finder.search(text)

    def search_lines(self) -> list[str]:
        return [self.passage_line(e, dated=True) for e in self.finder.events()]

    @property
    def search_note(self) -> str:
        return self.finder.summary(self.t)

    # -- door tiles ------------------------------------------------------------------------

    def door_groups(self) -> list[DoorGroup]:
        return group_tiles(list(self.doors.values()))

    def abnormal_doors(self) -> list[DoorTile]:
        return abnormal_tiles(list(self.doors.values()))

    def group_title(self, key: str) -> str:
        return self.t("officer.site_doors") if key == "site" else self.t("officer.building", n=key)

    def tile_label(self, tile: DoorTile) -> str:
        """The tile's name in its group: "3单元" / "Entrance 3", a gate's name in the language."""
        if tile.entrance is not None:
            return self.t("officer.entrance", n=tile.entrance)
        # A tile holds one short line: a gate's remark ("(main)") stays in its full name.
        name = self.door_name(tile.id)
        return re.sub(r"\s*[(（][^()（）]*[)）]", "", name) or name

    def map_label(self, door_id: str) -> str:
        """A marker's short name: "12-3" for building 12 entrance 3, a gate's name."""
        tile = self.doors.get(door_id)
        if tile is None:
            return door_id
        if tile.entrance is not None:
            return f"{tile.building}-{tile.entrance}"
        return local_name(tile.name, self.t.lang)

    def door_name(self, door_id: str) -> str:
        """A door's full name in the screen's language ("12号楼3单元", "Building 12 entrance 3")."""
        tile = self.doors.get(door_id)
        if tile is None:
            return door_id
        if tile.entrance is not None:
            return self.t("officer.door_in", b=tile.building, n=tile.entrance)
        return local_name(tile.name, self.t.lang)

    # -- formatting ------------------------------------------------------------------------

    def person_name(self, pid: Any) -> str:
        return self.names.name(pid)

    def passage_line(self, e: dict[str, Any], dated: bool = False) -> str:
        when = "%m-%d %H:%M" if dated else "%H:%M:%S"
        at = time.strftime(when, time.localtime(float(e.get("at") or 0)))
        ok = e.get("type") == "access.granted"
        verdict = self.t("passage.granted" if ok else "passage.denied")
        data = e.get("data") or {}
        who = self.person_name(e.get("person_id")) if e.get("person_id") is not None else "—"
        where = self.door_name(str(e.get("door_id") or ""))
        kind = str(data.get("kind", ""))
        line = f"{at}  {verdict}  {who}  {where}  {self.t('cred.' + kind) if kind else ''}"
        reason = str(data.get("reason") or "")
        if not ok and reason:
            named = self.t(f"reason.{reason}")
            line += f"  ({self.t('reason.other') if named.startswith('reason.') else named})"
        return line

    def describe_event(self, e: dict[str, Any]) -> tuple[str, str, str]:
        """An event's door, person and detail in the screen's language (the event viewer)."""
        data = e.get("data") or {}
        door = self.door_name(str(e["door_id"])) if e.get("door_id") else ""
        who = self.person_name(e["person_id"]) if e.get("person_id") is not None else ""
        type_ = str(e.get("type") or "")
        detail = ""
        if type_.startswith("access."):
            kind = str(data.get("kind") or "")
            detail = self.t("cred." + kind) if kind else ""
            reason = str(data.get("reason") or "")
            if type_ == "access.denied" and reason:
                named = self.t(f"reason.{reason}")
                detail += f" ({self.t('reason.other') if named.startswith('reason.') else named})"
        elif type_.startswith("alarm."):
            detail = self.kind_name(str(data.get("kind") or ""))
            if data.get("by"):
                detail += f" · {data['by']}"
            if type_ == "alarm.acknowledged" and data.get("note"):
                detail += f" · {data['note']}"  # the remark the officer gave
        elif type_ == "intercom.call":
            outcome = self.t(f"officer.call_end.{data.get('reason', '')}")
            detail = "" if outcome.startswith("officer.") else outcome
        return door, who, detail.strip()

    def alarm_line(self, a: dict[str, Any]) -> str:
        at = time.strftime("%H:%M:%S", time.localtime(float(a.get("raised_at") or 0)))
        severity = self.t(f"severity.{a.get('severity', '')}")
        # Known kinds are named in the screen's language; the core's own message (English,
        # with the figures) stays as the detail, so nothing the rule said is lost.
        kind = self.t(f"alarm.{a.get('kind', '')}")
        label = "" if kind.startswith("alarm.") or self.t.lang != "zh" else f"{kind}  "
        message = str(a.get("message") or "")
        if label and a.get("door_id"):
            message = self.door_name(str(a["door_id"])) + door_note_zh(message)  # kind: what
        elif self.t.lang == "zh":
            message = rule_message_zh(message) or message  # a person's, a unit's, a camera's
        elif self.t.lang == "en" and a.get("door_id"):
            message = local_name(message, "en")  # a bilingual door name in it: its English
        return f"{at}  [{severity}]  {label}{message}"

    def alarm_summary(self) -> str:
        """ " · 强行开门 2, 消防联动开门 4": the open alarms of each kind, most first."""
        if not self.alarm_counts:
            return ""
        top = sorted(self.alarm_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return " · " + ", ".join(f"{self.kind_name(k)} {n}" for k, n in top)

    @property
    def banner(self) -> str:
        return self.availability.banner
