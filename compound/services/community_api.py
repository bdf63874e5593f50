"""The community extension of the core: alert rules, rental housing, notices and reports on the
bus API, and the periodic tick for the "not seen" rules, the lease-end sweep and the notices.

The rules themselves are pure (``compound.services.alerts``); this module feeds them committed
events and facts from the database and turns what fires into alarms in the hash-chained log.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from compound.adapters.bus_types import ApiWorker
from compound.config import AlertsConfig
from compound.domain.model import Alarm, Event, InvalidInput, parse_date
from compound.domain.paging import Page, flag, page_of, whole
from compound.protocol.messages import MessageError, decode_object, get_segment
from compound.services import alerts, notices, rental, reports
from compound.services.alerts import AlertEngine, Firing
from compound.services.entrants import RecentEntrants
from compound.services.extension import Offers
from compound.store.db import Store
from compound.store.pages import read_page

if TYPE_CHECKING:
    from compound.adapters.mqtt import Message
    from compound.services.core import Core

log = logging.getLogger(__name__)

# the group-rental query reads a week of passages; once every quarter hour is plenty
GROUP_RENTAL_EVERY_S = 900.0
# Elderly people living alone with when a door last let each in: one index probe per person,
# not a scan of the log. The indexes are named: on a real compound's statistics SQLite chose
# the index of all living people and the (type, at) index, which took 1.6 s instead of 3 ms.
_WATCHED_SQL = (
    "SELECT p.id, p.name, p.created_at, u.address,"
    " (SELECT MAX(e.at) FROM events e INDEXED BY events_passage_person"
    "   WHERE e.person_id = p.id AND e.type = 'access.granted') AS last_seen"
    " FROM people p INDEXED BY people_living_alone"
    " JOIN households h ON h.id = p.household_id"
    " JOIN units u ON u.id = h.unit_id"
    " WHERE p.lives_alone = 1 AND p.moved_out_at IS NULL"
)
# Those of them last let in (or registered, if never let in) at or before a time.
_UNSEEN_SQL = f"SELECT * FROM ({_WATCHED_SQL}) WHERE COALESCE(last_seen, created_at) <= ?"  # noqa: S608


class Community:
    """Alerts and rental-housing logic over a store; usable without a bus (CLI, tests)."""

    def __init__(self, store: Store, cfg: AlertsConfig) -> None:
        self.store = store
        self.cfg = cfg
        self.engine = AlertEngine(cfg)
        self._last_group_check = -1e18
        self._entrants = RecentEntrants(store)
        self._tick_lock = threading.Lock()

    # -- event rules -----------------------------------------------------------------------

    def prime(self) -> int:
        """Replay the recent log into the event rules without raising anything."""
        since = self.store.clock.now() - self.engine.max_window_s
        marks = ",".join("?" * len(self.engine.types))
        rows = self.store.query(
            f"SELECT seq FROM events WHERE type IN ({marks}) AND at > ?"  # noqa: S608 - marks only
            " ORDER BY seq LIMIT 1",
            (*sorted(self.engine.types), since),
        )
        if not rows:
            return 0
        n, after = 0, rows[0]["seq"] - 1
        while True:
            batch = self.store.events(after=after, types=sorted(self.engine.types), limit=5000)
            if not batch:
                return n
            n += self.engine.prime(batch)
            after = batch[-1].seq

    def on_event(self, ev: Event) -> list[Alarm]:
        return [a for f in self.engine.observe(ev) if (a := self.raise_firing(f)) is not None]

    def raise_firing(self, f: Firing) -> Alarm | None:
        """An alarm for ``f`` unless one for the same rule and subject is still open."""
        with self.store.transaction() as c:
            if c.execute(
                "SELECT 1 FROM alarms WHERE rule = ? AND subject = ? AND acknowledged_at IS NULL",
                (f.rule, f.subject),
            ).fetchone():
                return None
            alarm = self.store.raise_alarm(
                f.rule.split(":", 1)[0],
                f.message,
                severity=f.severity,
                door_id=f.door_id,
                person_id=f.person_id,
                data={"rule": f.rule, "subject": f.subject, **f.data},
            )
            c.execute(
                "UPDATE alarms SET rule = ?, subject = ? WHERE id = ?",
                (f.rule, f.subject, alarm.id),
            )
            return alarm

    # -- condition rules -------------------------------------------------------------------

    def _last_raised(self, rule: str) -> dict[str, float]:
        return {
            r["subject"]: r["t"]
            for r in self.store.read(
                "SELECT subject, MAX(raised_at) AS t FROM alarms WHERE rule = ? GROUP BY subject",
                (rule,),
            )
        }

    def watched(self) -> list[alerts.Watched]:
        rows = self.store.read(_WATCHED_SQL + " ORDER BY p.id")
        return [
            alerts.Watched(r["id"], r["name"], r["address"], r["created_at"], r["last_seen"])
            for r in rows
        ]

    def elderly_unseen(self, hours: float | None = None) -> list[dict[str, Any]]:
        """Every one not seen for ``hours`` (the command line's list), by person."""
        now = self.store.clock.now()
        rows = self.store.read(_UNSEEN_SQL + " ORDER BY id", (now - self._hours(hours) * 3600,))
        return [_unseen(r, now) for r in rows]

    def elderly_unseen_page(self, hours: float | None, page: Page) -> dict[str, Any]:
        """One page of them with how many there are: picked, ordered and cut in SQLite, so
        only the page's people are read into Python."""
        now = self.store.clock.now()
        since = now - self._hours(hours) * 3600
        rows, total = read_page(self.store, _UNSEEN_SQL, (since,), "id", page)
        return page.reply([_unseen(r, now) for r in rows], total)

    def _hours(self, hours: float | None) -> float:
        h = self.cfg.elderly_unseen_h if hours is None else hours
        if not 1 <= h <= 24 * 31:
            raise InvalidInput("hours must be between 1 and 744")
        return h

    def unit_entrants(self) -> list[alerts.UnitEntrants]:
        """Units with enough distinct entrants this week to be a group rental at all (a unit
        fires with at least ``group_rental_min_extra`` more than registered): kept up to date
        from the log's new events (``services/entrants.py``), not re-read each time."""
        since = self.store.clock.now() - self.cfg.group_rental_days * 86400
        return self._entrants.units(since, self.cfg.group_rental_min_extra)

    def warm(self) -> None:
        """Read the week of passages the group-rental check keeps up to date, once, so that
        every check after it reads only the log since the one before (on its own thread at
        start: at the Xi'an size this first read takes 0.2 s for each day of the week)."""
        since = self.store.clock.now() - self.cfg.group_rental_days * 86400
        self._entrants.units(since, self.cfg.group_rental_min_extra)

    def check_elderly(self, now: float) -> list[Alarm]:
        """Elderly people living alone not seen for ``elderly_unseen_h``: one index probe each."""
        c = self.cfg
        last = self._last_raised("elderly_unseen")
        found = alerts.elderly_unseen(
            self.watched(), now, c.elderly_unseen_h, c.elderly_severity, last
        )
        return [a for f in found if (a := self.raise_firing(f)) is not None]

    def check_group_rental(self, now: float) -> list[Alarm]:
        """Units with far more distinct entrants this week than registered occupants."""
        c = self.cfg
        found = alerts.group_rental(
            self.unit_entrants(),
            now,
            c.group_rental_factor,
            c.group_rental_min_extra,
            c.group_rental_days * 86400,
            c.group_rental_severity,
            self._last_raised("group_rental"),
        )
        return [a for f in found if (a := self.raise_firing(f)) is not None]

    def tick(self) -> dict[str, Any]:
        """One pass of the periodic checks; returns what it did."""
        with self._tick_lock:
            now = self.store.clock.now()
            raised = self.check_elderly(now)
            if now - self._last_group_check >= GROUP_RENTAL_EVERY_S:
                self._last_group_check = now
                raised += self.check_group_rental(now)
            leases = rental.sweep_leases(self.store, now)
            return {"alarms": [a.id for a in raised], "leases_ended": leases}


def _unseen(r: dict[str, Any], now: float) -> dict[str, Any]:
    seen = r["last_seen"]
    reference = r["created_at"] if seen is None else seen
    return {
        "person_id": r["id"],
        "name": r["name"],
        "unit": r["address"],
        "last_seen": seen,
        "hours_unseen": round((now - reference) / 3600, 1),
    }


def _int(p: dict[str, Any], key: str) -> int:
    try:
        return int(p[key])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{key} must be a number") from None


def _float(p: dict[str, Any], key: str) -> float:
    try:
        return float(p[key])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"{key} must be a number") from None


def _days(p: dict[str, Any]) -> float:
    days = _float(p, "within_days") if p.get("within_days") is not None else 7.0
    if not 0 <= days <= 366:
        raise InvalidInput("within_days must be from 0 to 366")
    return days


class CommunityApi:
    """Extension of the core: wires ``Community`` to the event hooks, the bus and a tick."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.community = Community(core.store, core.config.alerts)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._faces: ApiWorker | None = None
        self._notice_key: dict[str, Any] | None = None

    def offers(self) -> Offers:
        s = self.core.store
        cm = self.community
        clock = self.core.clock
        return Offers(
            event_hooks=(self._on_event,),
            api={
                # Paged lists: {page, size} → {items, total, page, size}, each ordered and
                # cut in SQLite (the page's rows only are read into Python).
                "visit.due": lambda p: rental.visits_due_page(s, clock.now(), _days(p), page_of(p)),
                "visit.add": lambda p: rental.add_visit(s, p),
                "household.set_class": lambda p: rental.set_household_class(
                    s, p.get("household"), str(p.get("class", "")), p.get("by", "manager")
                ),
                "tenant.set_layer": lambda p: rental.set_tenant_layer(
                    s, _int(p, "person"), str(p.get("layer", "")), p.get("by", "manager")
                ),
                "tenant.register": lambda p: rental.register_tenant(s, {"by": "manager", **p}),
                "tenant.list": lambda p: rental.tenant_page(
                    s, page_of(p), flag(p, "include_moved_out")
                ),
                "guest.register": lambda p: rental.register_guest(s, {"by": "manager", **p}),
                "elderly.unseen": lambda p: cm.elderly_unseen_page(
                    _float(p, "hours") if p.get("hours") is not None else None, page_of(p)
                ),
                "strangers.repeat": self.strangers,
                "notice.post": self.notice_post,
                "notice.list": lambda p: notices.asked(s, clock.now(), p, self.core.counters),
                "stats.hourly": lambda p: reports.hourly(s, clock.now(), int(p.get("hours", 24))),
                "passages.search": lambda p: reports.passages_of(s, p),
                "report.daily": self.report_daily,
            },
        )

    def start(self) -> None:
        self.community.prime()
        # A stranger's face is logged off the network thread: a long write (an import) would
        # otherwise hold every message behind it, door requests included.
        faces = self._faces = ApiWorker("face-results", self.core.counters, 500, "face_result.shed")
        self.core.bus.subscribe(
            self.core.topics.all("face/+/result"), faces.wrap(self.on_face_result)
        )
        self.publish_notices(force=True)
        self._thread = threading.Thread(target=self._run, name="community-tick", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._faces is not None:
            self._faces.stop()

    def _on_event(self, ev: Event) -> None:
        try:
            self.community.on_event(ev)
        except Exception:
            log.exception("alert rules failed on event %s", ev.seq)

    def on_face_result(self, msg: Message) -> None:
        """The face service names a stranger once per visit, by an anonymous id: logged as a
        ``face.unknown`` event, which the unknown-face rule and the wall display count."""
        try:
            body = decode_object(msg.payload)
            stranger = body.get("stranger")
            if stranger is None:
                return
            track = get_segment(body, "stranger")
            camera = get_segment(body, "camera")
        except MessageError as e:
            self.core.counters["face_result.malformed"] += 1
            log.warning("malformed face result on %s: %s", msg.topic, e)
            return
        door = body.get("door")
        door_id = door if isinstance(door, str) and self.core.store.door(door) else None
        self.core.store.append_event(
            "face.unknown", door_id=door_id, data={"track": track, "camera": camera}
        )

    def _run(self) -> None:
        try:
            self.community.warm()
        except Exception:
            log.exception("reading the week's entrants failed; the first check will")
        while not self._stop.wait(self.core.config.alerts.tick_s):
            try:
                self.community.tick()
                self.publish_notices()
            except Exception:
                if self._stop.is_set():
                    return  # stopping: the store may already be closed
                log.exception("community tick failed")

    # -- notices ---------------------------------------------------------------------------

    def notice_post(self, p: dict[str, Any]) -> dict[str, Any]:
        r = notices.post(self.core.store, p)
        self.publish_notices(force=True)
        return r

    def publish_notices(self, force: bool = False) -> None:
        payload = notices.fence(self.core.store, self.core.clock.now())
        if force or payload != self._notice_key:
            self._notice_key = payload
            self.core.bus.publish(self.core.topics.notice, payload, qos=1, retain=True)

    # -- officer views ---------------------------------------------------------------------

    def strangers(self, p: dict[str, Any]) -> dict[str, Any]:
        """Unknown faces seen at least ``min`` times in ``days``, most seen first, one page:
        {items, total, page, size}; each with its open unknown-face alarm, if any."""
        s, page = self.core.store, page_of(p)
        days = _float(p, "days") if p.get("days") is not None else None
        days = self.core.config.alerts.unknown_face_days if days is None else days
        if not 0 < days <= 366:
            raise InvalidInput("days must be from 0 to 366")
        args = (self.core.clock.now() - days * 86400, whole(p, "min", 2, 1, 1_000_000))
        tracks = (
            "SELECT json_extract(data, '$.track') AS track, COUNT(*) AS sightings,"
            " MIN(at) AS first_seen, MAX(at) AS last_seen,"
            " COUNT(DISTINCT date(at, 'unixepoch')) AS days"
            " FROM events WHERE type = 'face.unknown' AND at > ? GROUP BY track"
            " HAVING track IS NOT NULL AND sightings >= ?"
        )
        total = s.read(f"SELECT COUNT(*) AS n FROM ({tracks})", args)[0]["n"]  # noqa: S608
        rows = s.read(
            tracks + " ORDER BY sightings DESC, track LIMIT ? OFFSET ?",
            (*args, page.size, page.offset),
        )
        marks = ",".join("?" * len(rows))  # the page's tracks, as parameters
        open_ = {
            a["subject"]: a["id"]
            for a in s.read(
                "SELECT id, subject FROM alarms WHERE rule = 'unknown_face'"  # noqa: S608
                f" AND acknowledged_at IS NULL AND subject IN ({marks})",
                tuple(r["track"] for r in rows),
            )
        }
        for r in rows:
            r["alarm"] = open_.get(r["track"])
        return page.reply(rows, total)

    def report_daily(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self.core.store
        day = (
            parse_date(str(p["date"]), "date")
            if p.get("date")
            else datetime.fromtimestamp(self.core.clock.now(), s.tz).date()
        )
        return reports.daily(s, day)


def alarm_dict(a: Alarm) -> dict[str, Any]:
    return asdict(a)
