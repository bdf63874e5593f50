"""Schedules and the holiday list as the property office manages them: who uses a schedule,
giving one to a door or a credential, removing one, and the holiday list (one date at a time or
the official list at once).

A schedule is "in use" while a door or a live credential (not revoked, not expired) names it;
it cannot be removed then, since a deleted schedule denies every credential that still names
it. Adding schedules and holidays, and the facts a decision reads, stay in ``doors``.
"""

from __future__ import annotations

from typing import Any

from compound.domain.model import InvalidInput, parse_date
from compound.domain.paging import Page
from compound.domain.schedule_hours import WeeklyHours, describe
from compound.domain.schedules import DAY_NAMES, HolidayRow
from compound.store.base import StoreBase
from compound.store.doors import schedule_of

# How many credential ids a refusal quotes.
_QUOTED = 5
# The doors and the live credentials that use a schedule (its id; and now, for credentials).
_DOORS_OF = "FROM doors WHERE schedule_id = ?"
_CREDENTIALS_OF = (
    "FROM credentials WHERE schedule_id = ? AND revoked_at IS NULL"
    " AND (valid_until IS NULL OR valid_until > ?)"
)


class Schedules(StoreBase):
    # -- schedules ------------------------------------------------------------------------

    def schedule_list(self) -> list[dict[str, Any]]:
        """Every schedule with its hours and what uses it."""
        written = {
            r["id"]: WeeklyHours.loads(r["hours"])
            for r in self.query("SELECT id, hours FROM schedules WHERE hours IS NOT NULL")
        }
        out = []
        for s in sorted(self.schedules().values(), key=lambda s: s.name):
            doors, creds = self._users(s.id)
            out.append({**describe(s, written.get(s.id)), "doors": doors, "credentials": creds})
        return out

    def schedule_page(self, page: Page, users: int) -> list[dict[str, Any]]:
        """One page of the schedules by name, each with its hours, the first ``users`` doors
        and live credentials that use it and how many there are (``door_count``,
        ``credential_count``): a tenants' schedule is on thousands of cards, which are
        counted in their index (``credentials_schedule``), not read."""
        rows = self.query(
            "SELECT * FROM schedules ORDER BY name LIMIT ? OFFSET ?", (page.size, page.offset)
        )
        now, out = self.clock.now(), []
        for r in rows:
            doors, door_count = self._first_users(_DOORS_OF, (r["id"],), users)
            creds, cred_count = self._first_users(_CREDENTIALS_OF, (r["id"], now), users)
            written = WeeklyHours.loads(r["hours"]) if r["hours"] is not None else None
            out.append(
                {
                    **describe(schedule_of(r), written),
                    "doors": doors,
                    "credentials": creds,
                    "door_count": door_count,
                    "credential_count": cred_count,
                }
            )
        return out

    def _first_users(self, rows: str, args: tuple[Any, ...], users: int) -> tuple[list[Any], int]:
        """The first ``users`` ids of ``rows`` (a FROM ... WHERE) and how many there are."""
        first = [
            r["id"] for r in self.query(f"SELECT id {rows} ORDER BY id LIMIT ?", (*args, users))
        ]
        if len(first) < users:
            return first, len(first)
        return first, int(self.query(f"SELECT COUNT(*) AS n {rows}", args)[0]["n"])  # noqa: S608

    def remove_schedule(self, name: str) -> dict[str, Any]:
        with self.transaction() as c:
            sid = self.schedule_id(name)
            doors, creds = self._users(sid)
            if doors or creds:
                raise InvalidInput(_in_use(name, doors, creds))
            # Only revoked or expired credentials still name it; they open nothing any more.
            c.execute("UPDATE credentials SET schedule_id = NULL WHERE schedule_id = ?", (sid,))
            c.execute("DELETE FROM schedules WHERE id = ?", (sid,))
            self.append_event("schedule.removed", data={"name": name})
        return {"name": name, "removed": True}

    def set_door_schedule(self, door_id: str, schedule: str | None) -> dict[str, Any]:
        """The hours when visitors may pass this door (``None`` or ``"none"``: any time)."""
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM doors WHERE id = ?", (door_id,)).fetchone() is None:
                raise InvalidInput(f"unknown door {door_id!r}; see `compound door list`")
            sid, name = self._schedule_ref(schedule)
            c.execute("UPDATE doors SET schedule_id = ? WHERE id = ?", (sid, door_id))
            self.append_event("door.schedule_set", door_id=door_id, data={"schedule": name})
        return {"door": door_id, "schedule": name}

    def set_credential_schedule(self, credential_id: int, schedule: str | None) -> dict[str, Any]:
        """The hours when this credential opens doors (``None`` or ``"none"``: any time)."""
        with self.transaction() as c:
            row = c.execute(
                "SELECT person_id FROM credentials WHERE id = ? AND revoked_at IS NULL",
                (credential_id,),
            ).fetchone()
            if row is None:
                raise InvalidInput(
                    f"no live credential {credential_id}; see `compound person show`"
                )
            sid, name = self._schedule_ref(schedule)
            c.execute("UPDATE credentials SET schedule_id = ? WHERE id = ?", (sid, credential_id))
            self.append_event(
                "credential.schedule_set",
                person_id=row[0],
                data={"credential_id": credential_id, "schedule": name},
            )
        return {"credential": credential_id, "schedule": name}

    def schedule_ref(self, schedule: str | None) -> int | None:
        """The id of a schedule given by name; ``None`` for no name or ``"none"``."""
        return self._schedule_ref(schedule)[0]

    def _schedule_ref(self, schedule: str | None) -> tuple[int | None, str | None]:
        name = (schedule or "").strip()
        if not name or name.lower() == "none":
            return None, None
        return self.schedule_id(name), name

    def _users(self, sid: int) -> tuple[list[str], list[int]]:
        doors = self.query("SELECT id FROM doors WHERE schedule_id = ? ORDER BY id", (sid,))
        creds = self.query(
            "SELECT id FROM credentials WHERE schedule_id = ? AND revoked_at IS NULL"
            " AND (valid_until IS NULL OR valid_until > ?) ORDER BY id",
            (sid, self.clock.now()),
        )
        return [r["id"] for r in doors], [r["id"] for r in creds]

    # -- the holiday list -----------------------------------------------------------------

    def holiday_list(
        self, year: int | None = None, page: Page | None = None
    ) -> list[dict[str, Any]]:
        """The dates of ``year`` (or of every year) in order; one ``page`` of them, read
        from the table a page at a time, or all."""
        sql = "SELECT * FROM holidays"
        args: list[Any] = []
        if year is not None:  # days are ISO dates: a year is a range of the primary key
            sql += " WHERE day >= ? AND day < ?"
            args += [f"{year:04d}-", f"{year + 1:04d}-"]
        sql += " ORDER BY day"
        if page is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [page.size, page.offset]
        rows = self.query(sql, tuple(args))
        out = []
        for r in rows:
            day = parse_date(r["day"])
            out.append(
                {
                    "date": r["day"],
                    "weekday": DAY_NAMES[day.weekday()],
                    "name": r["name"] or "",
                    "workday": bool(r["workday"]),
                }
            )
        return out

    def remove_holiday(self, day: str) -> dict[str, Any]:
        d = parse_date(day, "holiday date").isoformat()
        with self.transaction() as c:
            if c.execute("DELETE FROM holidays WHERE day = ?", (d,)).rowcount == 0:
                raise InvalidInput(f"{d} is not in the holiday list; see `compound holiday list`")
            self.append_event("holiday.removed", data={"date": d})
        return {"date": d, "removed": True}

    def import_holidays(self, rows: list[HolidayRow], dry_run: bool = False) -> dict[str, Any]:
        """Add or correct every date of ``rows`` in one transaction (dates already listed and
        not in ``rows`` stay). With ``dry_run`` only counts what would change."""
        with self.transaction() as c:
            known = {
                r[0]: (r[1] or "", r[2])
                for r in c.execute("SELECT day, name, workday FROM holidays").fetchall()
            }
            counts = {"added": 0, "updated": 0, "unchanged": 0}
            for r in rows:
                old = known.get(r.day.isoformat())
                key = "added" if old is None else "unchanged"
                if old is not None and old != (r.name, int(r.workday)):
                    key = "updated"
                counts[key] += 1
            summary: dict[str, Any] = {
                "dry_run": dry_run,
                "rows": len(rows),
                **counts,
                "holidays": sum(not r.workday for r in rows),
                "workdays": sum(r.workday for r in rows),
                "years": sorted({r.day.year for r in rows}),
            }
            if dry_run:
                return summary
            c.executemany(
                "INSERT OR REPLACE INTO holidays (day, name, workday) VALUES (?, ?, ?)",
                [(r.day.isoformat(), r.name, int(r.workday)) for r in rows],
            )
            self.append_event(
                "holidays.imported", data={k: v for k, v in summary.items() if k != "dry_run"}
            )
        return summary


def _in_use(name: str, doors: list[str], creds: list[int]) -> str:
    users = []
    if doors:
        users.append(f"door{'s' if len(doors) > 1 else ''} {', '.join(doors)}")
    if creds:
        ids = ", ".join(map(str, creds[:_QUOTED])) + (", ..." if len(creds) > _QUOTED else "")
        users.append(f"{len(creds)} credential{'s' if len(creds) > 1 else ''} ({ids})")
    return (
        f"schedule {name!r} is still used by {' and '.join(users)}; give them another schedule"
        " or none first (compound door set-schedule DOOR none,"
        " compound credential set-schedule ID none)"
    )
