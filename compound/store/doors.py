"""Doors, schedules, holidays and the site lockdown in the store, and the facts an access
decision reads from them.

A door serves buildings, entrances or units (its scopes); a schedule is the weekly hours when
visitors may pass, with other hours on public holidays. ``facts`` gathers, for one presented
credential at one door, everything the pure access decision needs, so that decision never
touches the database.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from compound.domain import validation
from compound.domain.access import Facts
from compound.domain.model import (
    Door,
    Event,
    InvalidInput,
    LockType,
    Schedule,
    Scope,
    TimeWindow,
    parse_date,
)
from compound.domain.schedule_hours import WeeklyHours, describe, from_windows
from compound.domain.schedules import check_workday, holiday_name, schedule_name
from compound.store.base import StoreBase, StoreError, row_id


class Doors(StoreBase):
    def add_door(
        self,
        door_id: str,
        name: str,
        serves: list[str],
        *,
        lock_type: str = "strike",
        egress: bool = True,
        open_time_s: float = 5.0,
        held_open_s: float = 60.0,
        schedule: str | None = None,
    ) -> Door:
        validation.door_id(door_id)
        name = validation.door_name(name) or door_id
        scopes = validation.door_scopes(serves)
        lock = validation.lock_type(lock_type)
        validation.door_times(open_time_s, held_open_s)
        with self.transaction() as c:
            sid = self.schedule_id(schedule) if schedule else None
            if c.execute("SELECT 1 FROM doors WHERE id = ?", (door_id,)).fetchone():
                raise InvalidInput(f"door {door_id} already exists")
            c.execute(
                "INSERT INTO doors (id, name, lock_type, egress, open_time_s, held_open_s,"
                " schedule_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (door_id, name, str(lock), int(egress), open_time_s, held_open_s, sid),
            )
            for s in scopes:
                c.execute(
                    "INSERT OR IGNORE INTO door_scopes (door_id, scope) VALUES (?, ?)",
                    (door_id, str(s)),
                )
            self.append_event(
                "door.added", door_id=door_id, data={"serves": [str(s) for s in scopes]}
            )
        door = self.door(door_id)
        if door is None:  # pragma: no cover - sqlite always sets it
            raise StoreError("insert returned no row id")
        return door

    def door(self, door_id: str) -> Door | None:
        row = self.one("SELECT * FROM doors WHERE id = ?", (door_id,))
        if row is None:
            return None
        scopes = self.query("SELECT scope FROM door_scopes WHERE door_id = ?", (door_id,))
        return _door(row, [s["scope"] for s in scopes])

    def doors(self) -> list[Door]:
        scopes: dict[str, list[str]] = {}
        for s in self.query("SELECT door_id, scope FROM door_scopes"):
            scopes.setdefault(s["door_id"], []).append(s["scope"])
        return [
            _door(r, scopes.get(r["id"], [])) for r in self.query("SELECT * FROM doors ORDER BY id")
        ]

    # -- schedules and holidays -----------------------------------------------------------

    def add_schedule(
        self,
        name: str,
        windows: list[TimeWindow],
        holiday_windows: list[TimeWindow] | None = None,
        *,
        hours: WeeklyHours | None = None,
    ) -> int:
        """``windows`` decide; ``hours`` is the form they were written in (sets of days with
        their spans), kept for the console and the CLI to show and derived when not given."""

        def enc(ws: list[TimeWindow]) -> str:
            return json.dumps([[sorted(w.weekdays), w.start, w.end] for w in ws])

        name = schedule_name(name)
        written = hours or from_windows(windows, holiday_windows or [])
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM schedules WHERE name = ?", (name,)).fetchone():
                raise InvalidInput(f"schedule {name!r} already exists")
            sid = row_id(
                c.execute(
                    "INSERT INTO schedules (name, windows, holiday_windows, hours)"
                    " VALUES (?, ?, ?, ?)",
                    (name, enc(windows), enc(holiday_windows or []), written.dumps()),
                ).lastrowid
            )
            self.append_event("schedule.added", data={"name": name})
            return sid

    def add_schedule_hours(self, name: str, hours: WeeklyHours) -> dict[str, Any]:
        """A schedule from its checked written form (``schedule_hours.weekly``); returns it as
        the CLI and the console show it."""
        sid = self.add_schedule(name, *hours.windows(), hours=hours)
        return describe(self.schedules()[sid], hours)

    def set_schedule_hours(self, name: str, hours: WeeklyHours) -> dict[str, Any]:
        """New hours for a schedule, in place: the doors and credentials that use it keep it
        and follow the new hours from their next decision."""
        week, holiday = hours.windows()

        def enc(ws: list[TimeWindow]) -> str:
            return json.dumps([[sorted(w.weekdays), w.start, w.end] for w in ws])

        with self.transaction() as c:
            sid = self.schedule_id(name)
            c.execute(
                "UPDATE schedules SET windows = ?, holiday_windows = ?, hours = ? WHERE id = ?",
                (enc(week), enc(holiday), hours.dumps(), sid),
            )
            self.append_event("schedule.changed", data={"name": name, **hours.describe()})
        return describe(self.schedules()[sid], hours)

    def schedule_id(self, name: str) -> int:
        row = self.one("SELECT id FROM schedules WHERE name = ?", (name,))
        if row is None:
            raise InvalidInput(f"unknown schedule {name!r}")
        return int(row["id"])

    def schedules(self) -> dict[int, Schedule]:
        # Only what decides: the written form (``hours``) is for showing, not for deciding.
        return {
            r["id"]: schedule_of(r)
            for r in self.query("SELECT id, name, windows, holiday_windows FROM schedules")
        }

    def add_holiday(self, day: str, name: str = "", workday: bool = False) -> dict[str, Any]:
        """A public holiday, or with ``workday`` a Saturday or Sunday that is worked (调休);
        replaces what the list said about that date."""
        d = parse_date(day, "holiday date")
        name = holiday_name(name)
        if workday:
            check_workday(d)
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO holidays (day, name, workday) VALUES (?, ?, ?)",
                (d.isoformat(), name, int(workday)),
            )
            data = {"date": d.isoformat(), "name": name, "workday": workday}
            self.append_event("holiday.added", data=data)
        return data

    def holidays(self) -> frozenset[date]:
        """Public holidays (not the worked weekend days, see ``workdays``)."""
        return self._days(0)

    def workdays(self) -> frozenset[date]:
        """Saturdays and Sundays that are worked (调休)."""
        return self._days(1)

    def _days(self, workday: int) -> frozenset[date]:
        rows = self.query("SELECT day FROM holidays WHERE workday = ?", (workday,))
        return frozenset(date.fromisoformat(r["day"]) for r in rows)

    # -- lockdown and the facts of one access decision ------------------------------------

    def lockdown(self) -> bool:
        return self.setting("lockdown", "0") == "1"

    def set_lockdown(
        self, on: bool, by: str, actor: str | None = None, extra: dict[str, Any] | None = None
    ) -> Event:
        """``actor``: the broker user that asked, when over the bus; ``by`` the name it gave
        (or the duty officer the core identified, with ``extra``: their id, badge and how)."""
        who = {"by": by} if actor is None else {"actor": actor, "by": by}
        with self.transaction():
            self.set_setting("lockdown", "1" if on else "0")
            return self.append_event("site.lockdown", data={"on": on, **who, **(extra or {})})

    def facts(self, door_id: str, kind: str, value: str) -> Facts:
        cred, person = self.find_credential(kind, value)
        return Facts(
            door_id=door_id,
            door=self.door(door_id),
            credential=cred,
            person=person,
            lockdown=self.lockdown(),
            schedules=self.schedules(),
            holidays=self.holidays(),
            workdays=self.workdays(),
        )


def schedule_of(r: dict[str, Any]) -> Schedule:
    """A schedule as a decision reads it, from its row (``windows``, ``holiday_windows``)."""

    def dec(text: str) -> tuple[TimeWindow, ...]:
        return tuple(TimeWindow(frozenset(d), s, e) for d, s, e in json.loads(text))

    return Schedule(r["id"], r["name"], dec(r["windows"]), dec(r["holiday_windows"]))


def _door(r: dict[str, Any], scopes: list[str]) -> Door:
    return Door(
        id=r["id"],
        name=r["name"],
        serves=tuple(Scope.parse(s) for s in scopes),
        lock_type=LockType(r["lock_type"]),
        egress=bool(r["egress"]),
        open_time_s=r["open_time_s"],
        held_open_s=r["held_open_s"],
        schedule_id=r["schedule_id"],
    )
