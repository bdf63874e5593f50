"""The site plan in the store: the plan image the officer wall shows and the doors placed on it.

One plan per box (a compound is one site). Replacing the image keeps the door positions: they
are fractions of the width and height, and a manager who uploads a cleaner scan of the same
plan should not have to place 156 doors again. Every change is logged with who made it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compound.domain.model import InvalidInput

if TYPE_CHECKING:
    from compound.store.db import Store


class SitePlans:
    def __init__(self, store: Store) -> None:
        self.store = store

    def set_image(self, jpeg: bytes, width: int, height: int, by: str) -> int:
        """Store the plan (already checked and re-encoded); returns its new version."""
        s = self.store
        now = s.clock.now()
        with s.transaction() as c:
            row = c.execute("SELECT version FROM site_plan WHERE id = 1").fetchone()
            version = (row[0] if row else 0) + 1
            c.execute(
                "INSERT INTO site_plan (id, image, width, height, version, updated_at, updated_by)"
                " VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " image = excluded.image, width = excluded.width, height = excluded.height,"
                " version = excluded.version,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (jpeg, width, height, version, now, by),
            )
            s.append_event(
                "siteplan.updated",
                at=now,
                data={"version": version, "width": width, "height": height, "by": by},
            )
        return version

    def place(self, door_id: str, x: float, y: float, by: str) -> dict[str, Any]:
        s = self.store
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise InvalidInput("a door's place is inside the plan: x and y between 0 and 1")
        if s.door(door_id) is None:
            raise InvalidInput(f"unknown door {door_id!r}")
        if s.one("SELECT 1 FROM site_plan WHERE id = 1") is None:
            raise InvalidInput("upload the site plan before placing doors on it")
        now = s.clock.now()
        with s.transaction() as c:
            c.execute(
                "INSERT INTO door_positions (door_id, x, y, placed_at, placed_by)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(door_id) DO UPDATE SET x = excluded.x,"
                " y = excluded.y, placed_at = excluded.placed_at, placed_by = excluded.placed_by",
                (door_id, x, y, now, by),
            )
            s.append_event(
                "siteplan.door_placed",
                at=now,
                door_id=door_id,
                data={"x": round(x, 4), "y": round(y, 4), "by": by},
            )
        return {"door": door_id, "x": x, "y": y}

    def unplace(self, door_id: str, by: str) -> dict[str, Any]:
        s = self.store
        with s.transaction() as c:
            n = c.execute("DELETE FROM door_positions WHERE door_id = ?", (door_id,)).rowcount
            if n == 0:
                raise InvalidInput(f"door {door_id!r} is not on the plan")
            s.append_event("siteplan.door_removed", door_id=door_id, data={"by": by})
        return {"door": door_id, "removed": True}

    def plan(self) -> dict[str, Any] | None:
        """The plan's version and size (no image), or None when none was uploaded."""
        rows = self.store.read(
            "SELECT width, height, version, updated_at, updated_by FROM site_plan WHERE id = 1"
        )
        return rows[0] if rows else None

    def image(self) -> bytes | None:
        rows = self.store.read("SELECT image FROM site_plan WHERE id = 1")
        return bytes(rows[0]["image"]) if rows else None

    def positions(self) -> dict[str, tuple[float, float]]:
        rows = self.store.read("SELECT door_id, x, y FROM door_positions")
        return {r["door_id"]: (float(r["x"]), float(r["y"])) for r in rows}
