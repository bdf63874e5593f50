"""The core's own lists, each bounded and paged: the doors, one door, alarms, recent events.

A compound has 150 doors and more, and its log and alarm table grow every day, so no reply
holds all of them (``compound.domain.paging``: at most 200 items a reply):

- ``door.list`` {page, size} → {items, total, page, size, states}: doors in natural order of
  their ids (b6 before b50), each with its last reported ``state`` and its visitor
  ``schedule`` (a name, or None); ``states`` counts every door by state, for a summary.
  A screen that shows every door (the officer wall) asks page after page up to ``total``.
- ``door.show`` {door} → one door in the same form (the door panel needs only its own), with
  ``face_challenge``: whether a face at it may be asked the random challenge, by the face
  config the box runs (the panel shows no challenge prompt where none is asked).

A door panel stands in a public hallway and may learn about its own door only: asked by a
panel's broker user (the asker the API server takes from the request topic, which the broker
lets each user write under its own name only), ``door.show`` answers for the door the panel was
registered at and refuses any other as it refuses a door that does not exist (so a panel taken
over cannot find out which doors there are), and ``door.list`` is a page of that one door. The
consoles, the wall and the command line may ask about any door.
- ``alarm.list`` {open, page, size} → alarms newest first, one page (a list; ``alarm.page``
  is the queue in severity order with counts).
- ``events.recent`` {after, before, door, person, types, limit, newest_first} → events by
  sequence number, at most ``limit`` (200): ``after`` reads on from a point of the log,
  ``before`` back from one (with ``newest_first``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from compound.domain.model import Door, InvalidInput
from compound.domain.ordering import natural_key
from compound.domain.paging import MAX_SIZE, flag, page_of, whole
from compound.protocol.topics import valid_segment
from compound.services.extension import Offers
from compound.services.face_doors import door_asks_challenge
from compound.services.panel_asker import panel_door
from compound.store.alarms import _alarm
from compound.store.doors import _door

if TYPE_CHECKING:
    from compound.services.core import Core

MAX_TYPES = 20  # event types in one events.recent filter
SEQ_MAX = 2**62


class CoreLists:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._order: tuple[tuple[str, ...], list[str]] = ((), [])  # ids as read, and sorted

    def offers(self) -> Offers:
        return Offers(
            api={
                "door.list": self.door_list,
                "door.show": self.door_show,
                "alarm.list": self.alarm_list,
                "events.recent": self.events_recent,
            }
        )

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    # -- doors -----------------------------------------------------------------------------

    def _state(self, door_id: str) -> str:
        return str(self.core.door_states.get(door_id, {}).get("state", "unknown"))

    def _door_dict(self, door: Door, schedules: dict[int, str]) -> dict[str, Any]:
        sched = schedules.get(door.schedule_id) if door.schedule_id is not None else None
        return {**door.as_dict(), "state": self._state(door.id), "schedule": sched}

    def _doors(self, ids: list[str]) -> list[dict[str, Any]]:
        """These doors (at most a page of them), in the order given."""
        if not ids:
            return []
        read, args = self.core.store.read, tuple(ids)
        marks = ",".join("?" * len(ids))  # one ? per id: the ids go in as parameters
        rows = {r["id"]: r for r in read(f"SELECT * FROM doors WHERE id IN ({marks})", args)}  # noqa: S608
        scopes: dict[str, list[str]] = {}
        sql = f"SELECT door_id, scope FROM door_scopes WHERE door_id IN ({marks})"  # noqa: S608
        for s in read(sql, args):
            scopes.setdefault(s["door_id"], []).append(s["scope"])
        names = {int(r["id"]): str(r["name"]) for r in read("SELECT id, name FROM schedules")}
        return [self._door_dict(_door(rows[d], scopes.get(d, [])), names) for d in ids if d in rows]

    def _panel_door(self, p: dict[str, Any]) -> str | None:
        """The door of the door panel that asked; None when the asker is no panel."""
        return panel_door(self.core.store, p, self.core.counters)

    def door_list(self, p: dict[str, Any]) -> dict[str, Any]:
        page = page_of(p, default_size=MAX_SIZE)
        panel = self._panel_door(p)
        if panel is not None:  # a panel's list holds its own door only
            own = self._doors([panel]) if panel else []
            states = Counter(d["state"] for d in own)
            return page.reply(own if page.page == 1 else [], len(own), states=dict(states))
        # Only the ids are read whole (a few thousand short strings at most), to put the doors
        # in the order people read them; the page's doors are then read by id.
        read = tuple(str(r["id"]) for r in self.core.store.read("SELECT id FROM doors"))
        if read != self._order[0]:  # doors change seldom: sorted again only when they do
            self._order = (read, sorted(read, key=natural_key))
        ids = self._order[1]
        states = Counter(self._state(d) for d in ids)
        items = self._doors(ids[page.offset : page.offset + page.size])
        return page.reply(items, len(ids), states=dict(states))

    def door_show(self, p: dict[str, Any]) -> dict[str, Any]:
        door = p.get("door")
        if not isinstance(door, str) or not valid_segment(door):
            raise InvalidInput("give the door's id")
        panel = self._panel_door(p)
        found = self._doors([door]) if panel is None or door == panel else []
        if not found:
            if panel is not None and door != panel:
                self.core.counters["api.panel_other_door"] += 1
            raise InvalidInput(f"unknown door {door!r}; see `compound door list`")
        return {**found[0], "face_challenge": door_asks_challenge(self.core.config.face, door)}

    # -- alarms and events -----------------------------------------------------------------

    def alarm_list(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        page = page_of(p, default_size=MAX_SIZE)
        where = " WHERE acknowledged_at IS NULL" if flag(p, "open") else ""
        rows = self.core.store.read(
            f"SELECT * FROM alarms{where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
            (page.size, page.offset),
        )
        return [asdict(_alarm(r)) for r in rows]

    def events_recent(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        types = p.get("types") or None
        if types is not None and (
            not isinstance(types, list)
            or len(types) > MAX_TYPES
            or not all(isinstance(t, str) for t in types)
        ):
            raise InvalidInput(f"types must be a list of at most {MAX_TYPES} event types")
        person = p.get("person")
        before = whole(p, "before", 0, 0, SEQ_MAX)
        evs = self.core.store.events(
            after=whole(p, "after", 0, 0, SEQ_MAX),
            before=before or None,
            door_id=str(p["door"]) if p.get("door") is not None else None,
            person_id=whole(p, "person", 0, 0, SEQ_MAX) if person is not None else None,
            types=types,
            limit=whole(p, "limit", 100, 1, MAX_SIZE),
            newest_first=flag(p, "newest_first"),
        )
        return [e.as_dict() for e in evs]
