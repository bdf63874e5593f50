"""The wall's event viewer: the core's log filtered by door or building, person, kind of event
and time range, one page at a time (``events.page``, newest first, older pages by cursor), and the
whole filtered result exported to a CSV file only its owner can read (0600: it holds names and
movements).

A person is picked from the core's search (name, initials, unit, card, end of an ID or phone
number), never typed as an id. The log has millions of rows; the core pages it and the wall
holds one page.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from compound.domain.clock import Clock
from ui.gateway import Gateway, Reply
from ui.i18n import Strings
from ui.viewmodels.people import PeopleFinder

PAGE = 25  # events on one page of the viewer until it says how many lines it has room for
EXPORT_PAGE = 200  # events asked per request while exporting (the core's largest page)
MAX_DOORS = 50  # doors of one building asked for at once (the core's limit)
EXPORT_MAX = 100_000  # rows in one export; a larger range is cut there and says so

DOOR_TYPES = [
    f"door.{t}"
    for t in (
        "opened",
        "closed",
        "unlocked",
        "locked",
        "exit_button",
        "held_open",
        "tamper",
        "fire_release",
        "fire_cleared",
        "remote_unlock",
        "remote_unlock_refused",
        "command_refused",
    )
]
CATEGORIES: dict[str, list[str]] = {
    "all": [],
    "passages": ["access.granted", "access.denied"],
    "denied": ["access.denied"],
    "alarms": ["alarm.raised", "alarm.acknowledged"],
    "doors": DOOR_TYPES,
    "calls": ["intercom.call"],
}
RANGES = ("1h", "24h", "7d", "30d", "all")
RANGE_S = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}
CSV_FIELDS = ("time", "type", "door", "door_name", "person_id", "person", "detail", "seq")


def parse_when(text: str) -> float | None:
    """ "2026-05-01" or "2026-05-01 08:30" in local time; None when empty, ValueError else."""
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).timestamp()  # noqa: DTZ007 - the box's local time
        except ValueError:
            continue
    raise ValueError(text)


def csv_cell(value: Any) -> Any:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


class EventViewer:
    def __init__(
        self,
        gateway: Gateway,
        strings: Strings,
        clock: Clock,
        changed: Callable[[], None],
        describe: Callable[[dict[str, Any]], tuple[str, str, str]],
        want_names: Callable[[list[Any]], object],
    ) -> None:
        self.gw = gateway
        self.t = strings
        self.clock = clock
        self.changed = changed
        # (door name, person name, detail) of an event, in the screen's language
        self.describe = describe
        self.want_names = want_names
        self.page_size = PAGE  # the lines the view has room for (``fit``)
        self.door: str | None = None
        self.building: str | None = None  # a building's key ("12", "site"): any of its doors
        self.building_doors: list[str] = []
        self.person: int | None = None
        self.person_label = ""
        self.category = "all"
        self.range_key = "24h"
        self.custom: tuple[float | None, float | None] | None = None
        self.people = PeopleFinder(gateway, strings, size=6)
        self.people.listeners.append(changed)
        self.items: list[dict[str, Any]] = []
        self.cursors: list[int | None] = [None]  # the "before" of each page shown so far
        self.next_before: int | None = None
        self.note = ""  # a refusal, a bad time typed, "nothing found"
        self.export_note = ""
        self.exporting = False
        self._asked = 0

    # -- filters ---------------------------------------------------------------------------

    def set_door(self, door: str | None) -> None:
        self.door = door or None
        if self.door:
            self.building, self.building_doors = None, []  # one door or one building
        self.reload()

    def set_building(self, key: str | None, doors: list[str]) -> None:
        """Any door of one building (its entrances; "site": the gates and garages)."""
        self.building = key if key and doors else None
        self.building_doors = list(doors)[:MAX_DOORS] if self.building else []
        if self.building:
            self.door = None
        self.reload()

    def set_person(self, person_id: int | None, label: str = "") -> None:
        self.person = person_id
        self.person_label = label if person_id is not None else ""
        self.reload()

    def pick(self, index: int) -> None:
        """Take the index-th person of the search results as the filter."""
        if 0 <= index < len(self.people.items):
            p = self.people.items[index]
            self.set_person(int(p["id"]), f"{p.get('name', '')} {p.get('unit') or ''}".strip())

    def set_category(self, key: str) -> None:
        if key in CATEGORIES:
            self.category = key
            self.reload()

    def set_range(self, key: str) -> None:
        if key in RANGES:
            self.range_key, self.custom = key, None
            self.reload()

    def set_custom(self, since_text: str, until_text: str) -> bool:
        """A range typed as dates ("2026-05-01" or with a time); refused with a message, and
        nothing changed, when it cannot be read or ends before it starts."""
        try:
            since, until = parse_when(since_text), parse_when(until_text)
        except ValueError as e:
            self.note = self.t("events.bad_time", text=str(e))
            self.changed()
            return False
        if since is not None and until is not None and until <= since:
            self.note = self.t("events.bad_range")
            self.changed()
            return False
        self.custom = (since, until)
        self.reload()
        return True

    def bounds(self) -> tuple[float | None, float | None]:
        if self.custom is not None:
            return self.custom
        span = RANGE_S.get(self.range_key)
        return (self.clock.now() - span, None) if span else (None, None)

    def params(self, before: int | None, size: int) -> dict[str, Any]:
        p: dict[str, Any] = {"types": CATEGORIES[self.category], "size": size}
        since, until = self.bounds()
        if since is not None:
            p["since"] = int(since)
        if until is not None:
            p["until"] = int(until)
        if self.door:
            p["door"] = self.door
        elif self.building:
            p["doors"] = self.building_doors
        if self.person is not None:
            p["person"] = self.person
        if before is not None:
            p["before"] = before
        return p

    # -- paging ----------------------------------------------------------------------------

    @property
    def page_no(self) -> int:
        return len(self.cursors)

    def reload(self) -> None:
        self.cursors = [None]
        self._fetch()

    def next_page(self) -> None:
        if self.next_before is not None:
            self.cursors.append(self.next_before)
            self._fetch()

    def prev_page(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            self._fetch()

    def fit(self, rows: int) -> None:
        """A page is as many events as the view shows whole lines: asked again when that
        changes (a call ringing above the viewer takes some of its height)."""
        rows = max(1, min(rows, EXPORT_PAGE))
        if rows != self.page_size:
            self.page_size = rows
            self._fetch()

    def _fetch(self) -> None:
        self._asked += 1
        asked = self._asked
        params = self.params(self.cursors[-1], self.page_size)
        self.gw.request("events.page", params, lambda r: self._on_page(r, asked))

    def _on_page(self, reply: Reply, asked: int) -> None:
        if asked != self._asked:
            return  # an older filter's answer
        if not reply.ok or not isinstance(reply.result, dict):
            self.items, self.next_before = [], None
            self.note = (
                self.t("unavailable") if reply.unavailable else self.t("error", message=reply.error)
            )
        else:
            self.items = list(reply.result.get("items") or [])
            self.next_before = reply.result.get("next_before")
            self.note = "" if self.items else self.t("officer.none")
            self.want_names([e.get("person_id") for e in self.items])
        self.changed()

    def line(self, e: dict[str, Any]) -> str:
        at = time.strftime("%m-%d %H:%M:%S", time.localtime(float(e.get("at") or 0)))
        door, person, detail = self.describe(e)
        parts = [at, self.type_name(str(e.get("type") or "")), door, person, detail]
        return "  ".join(p for p in parts if p)

    def type_name(self, type_: str) -> str:
        name = self.t(f"event.{type_}")
        return self.t("event.other") if name.startswith("event.") else name

    # -- export ----------------------------------------------------------------------------

    def export(self, path: str | Path, done: Callable[[bool], None] | None = None) -> bool:
        """Every event the filters match, oldest page last, into ``path`` (0600)."""
        if self.exporting:
            return False
        target = Path(path).expanduser()
        if not target.parent.is_dir():
            self.export_note = self.t("events.no_folder", folder=str(target.parent))
            self.changed()
            return False
        part = target.with_name(target.name + ".part")
        try:
            # 0600 from the start: an export carries names and movements.
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # a .part left from an earlier run keeps its old mode
            out = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")  # BOM: Excel reads 中文
        except OSError as e:
            self.export_note = self.t("error", message=e.strerror or str(e))
            self.changed()
            return False
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        self.exporting = True
        rows = 0

        def finish(ok: bool, note: str) -> None:
            self.exporting = False
            out.close()
            if ok:
                part.replace(target)
            else:
                part.unlink(missing_ok=True)
            self.export_note = note
            self.changed()
            if done is not None:
                done(ok)

        def page(before: int | None) -> None:
            self.gw.request(
                "events.page", self.params(before, EXPORT_PAGE), lambda r: got(r, before)
            )

        def got(reply: Reply, before: int | None) -> None:
            if not reply.ok or not isinstance(reply.result, dict):
                finish(False, self.t("error", message=reply.error))
                return
            items = list(reply.result.get("items") or [])
            ids = sorted({int(e["person_id"]) for e in items if e.get("person_id") is not None})
            if not ids:
                write(items, {}, reply.result.get("next_before"))
                return
            self.gw.request(
                "person.names",
                {"ids": ids},
                lambda r: write(
                    items,
                    r.result if r.ok and isinstance(r.result, dict) else {},
                    reply.result.get("next_before"),
                ),
            )

        def write(items: list[dict[str, Any]], names: dict[str, Any], nxt: int | None) -> None:
            nonlocal rows
            for e in items[: EXPORT_MAX - rows]:
                door, _, detail = self.describe(e)
                at = float(e.get("at") or 0)
                pid = e.get("person_id")
                writer.writerow(
                    [
                        csv_cell(v)
                        for v in (
                            datetime.fromtimestamp(at).isoformat(sep=" ", timespec="seconds"),
                            e.get("type", ""),
                            e.get("door_id") or "",
                            door if e.get("door_id") else "",
                            "" if pid is None else pid,
                            "" if pid is None else names.get(str(pid), ""),
                            detail,
                            e.get("seq", ""),
                        )
                    ]
                )
                rows += 1
            self.export_note = self.t("events.exporting", n=rows)
            self.changed()
            if nxt is not None and rows < EXPORT_MAX:
                page(nxt)
            else:
                cut = nxt is not None
                key = "events.exported_cut" if cut else "events.exported"
                finish(True, self.t(key, n=rows, path=str(target)))

        page(None)
        return True

    def default_export_path(self) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock.now()))
        return Path.home() / f"compound-events-{stamp}.csv"
