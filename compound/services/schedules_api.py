"""Bus API for schedules, the holiday list and indoor stations (used by the manager console).

The same operations as ``compound schedule``, ``compound holiday`` and ``compound station``, with
the same rules (they are the store's and the domain's): ``schedule.add/list/remove``,
``schedule.set_hours`` (new hours for a schedule in use), ``door.set_schedule``,
``credential.set_schedule``, ``holiday.add/list/remove/import`` and
``station.remove`` (``station.add`` and ``station.list`` are the intercom's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compound.domain import schedule_hours, schedules
from compound.domain.model import InvalidInput
from compound.domain.paging import MAX_SIZE, page_of
from compound.services.extension import Offers

if TYPE_CHECKING:
    from compound.services.core import Core

MAX_USERS = 200  # doors and credentials named under one schedule in schedule.list


def _str(params: dict[str, Any], key: str, default: str | None = None) -> str:
    value = params.get(key, default)
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be text")
    return value


def _int(params: dict[str, Any], key: str) -> int:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{key} must be a number")
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{key} must be a number") from None


class SchedulesApi:
    def __init__(self, core: Core) -> None:
        self.core = core

    def offers(self) -> Offers:
        s = self.core.store
        return Offers(
            api={
                "schedule.add": self.schedule_add,
                # One page of schedules (a list), each naming at most MAX_USERS of the doors
                # and credentials that use it, with door_count and credential_count for all
                # of them (a tenants' schedule is on thousands of cards).
                "schedule.list": lambda p: s.schedule_page(
                    page_of(p, default_size=MAX_SIZE), MAX_USERS
                ),
                "schedule.remove": lambda p: s.remove_schedule(_str(p, "name")),
                "schedule.set_hours": lambda p: s.set_schedule_hours(
                    _str(p, "name"), schedule_hours.from_params(p)
                ),
                "door.set_schedule": lambda p: s.set_door_schedule(
                    _str(p, "door"), p.get("schedule") and _str(p, "schedule")
                ),
                "credential.set_schedule": lambda p: s.set_credential_schedule(
                    _int(p, "credential"), p.get("schedule") and _str(p, "schedule")
                ),
                "holiday.add": lambda p: s.add_holiday(
                    _str(p, "date"), _str(p, "name", ""), bool(p.get("workday", False))
                ),
                "holiday.list": self.holiday_list,
                "holiday.remove": lambda p: s.remove_holiday(_str(p, "date")),
                "holiday.import": self.holiday_import,
                "station.remove": lambda p: s.remove_station(_str(p, "station")),
            }
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def schedule_add(self, p: dict[str, Any]) -> dict[str, Any]:
        """``{"name", "hours": [{"days": "mon-fri", "spans": ["06:00-09:00", "16:30-22:00"]},
        ...], "holidays": "closed" | "open" | ["09:00-12:00"]}``, or one span:
        ``{"name", "days": "mon-fri", "from": "07:00", "to": "18:00", "holidays": "closed"}``"""
        name = _str(p, "name")
        return self.core.store.add_schedule_hours(name, schedule_hours.from_params(p))

    def holiday_list(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        """The dates of ``year`` (or of every year), one page of at most 200."""
        year = _int(p, "year") if p.get("year") else None
        return self.core.store.holiday_list(year, page_of(p, default_size=MAX_SIZE))

    def holiday_import(self, p: dict[str, Any]) -> dict[str, Any]:
        """``{"csv": "date,name,workday\\n...", "dry_run": false}``: the file's text."""
        rows = schedules.read_holiday_csv(_str(p, "csv").encode(), "the holiday list")
        return self.core.store.import_holidays(rows, dry_run=bool(p.get("dry_run", False)))
