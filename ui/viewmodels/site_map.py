"""The site plan for the officer wall's map and the manager console's plan tab.

The core keeps the plan image and the door positions (``siteplan.*``); a screen asks for them,
and asks again when the core logs a change (``events/siteplan.*``). The image comes only once
per version. The manager's file is read, decoded and re-encoded to a bounded JPEG off the UI
thread (``encode_plan``) before it is sent; the core decodes and re-encodes it again, since it
never trusts what a console sends.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compound.domain.model import InvalidInput
from ui.gateway import Gateway, Reply
from ui.viewmodels.door_pages import DoorPages

MAX_FILE = 30 * 1024 * 1024  # a plan file larger than this is refused before it is read
MAX_SENT = 680_000  # the core's limit for the image as sent (compound.services.site_plan_api)
PLAN_SIDE = 1600
QUALITIES = (85, 75, 65, 50)
PLAN_TYPES = (".png", ".jpg", ".jpeg")


def encode_plan(path: str | Path) -> str:
    """The plan file as the base64 JPEG the core takes; ``InvalidInput`` with a sentence a
    manager can act on when it cannot be. Slow for a large photo: call it off the UI thread."""
    from compound.adapters import images  # Pillow, only when a plan is uploaded

    p = Path(path).expanduser()
    if p.suffix.lower() not in PLAN_TYPES:
        raise InvalidInput(f"{p.name}: choose a PNG or JPEG file")
    try:
        if p.stat().st_size > MAX_FILE:
            raise InvalidInput(f"{p.name} is larger than 30 MB")
        data = p.read_bytes()
    except OSError as e:
        raise InvalidInput(f"{p.name}: {e.strerror or e}") from None
    rgb = images.decode(data, what=p.name)
    for q in QUALITIES:
        jpeg = images.jpeg(rgb, width=PLAN_SIDE, quality=q)
        if len(jpeg) <= MAX_SENT:
            return base64.b64encode(jpeg).decode()
    raise InvalidInput(f"{p.name} has too much detail for a plan: use a simpler scan")


@dataclass(frozen=True)
class Marker:
    door: str
    x: float  # fractions of the plan, from the left
    y: float  # and from the top
    state: str  # the tile's shown state (locked, forced, alarm, ...)


class SiteMap:
    def __init__(self, gateway: Gateway, changed: Callable[[], None]) -> None:
        self.gw = gateway
        self.changed = changed
        self.plan: dict[str, Any] | None = None
        self.available: bool | None = None  # None: not asked yet; False: the core lacks it
        self.version = 0
        self.image: bytes | None = None  # the JPEG of ``version``, for the screen to decode
        self.image_version = 0  # bumped with every new image, so a screen decodes it once
        self.positions: dict[str, tuple[float, float]] = {}
        self.note = ""
        self.selected = ""  # the door the manager places next, or the wall's tapped marker
        self.busy = False
        self.doors: list[dict[str, Any]] = []  # the manager's door chooser: door.list
        self.door_pages = DoorPages(gateway, self._on_doors)
        self._asked = 0

    # -- reading ---------------------------------------------------------------------------

    def load(self) -> None:
        self._asked += 1
        asked = self._asked
        self.gw.request(
            "siteplan.get",
            {"image": True, "version": self.version},
            lambda r: self._on_plan(r, asked),
        )

    def _on_plan(self, reply: Reply, asked: int) -> None:
        if asked != self._asked:
            return
        if not reply.ok or not isinstance(reply.result, dict):
            self.available = False if reply.unavailable else self.available
            self.note = "" if reply.unavailable else reply.error
            self.changed()
            return
        self.available = True
        r = reply.result
        plan = r.get("plan")
        self.plan = plan if isinstance(plan, dict) else None
        self.positions = {
            str(d): (float(xy[0]), float(xy[1]))
            for d, xy in (r.get("doors") or {}).items()
            if isinstance(xy, list) and len(xy) == 2
        }
        if self.plan is None:
            self.version, self.image = 0, None
        elif isinstance(r.get("image"), str):
            try:
                self.image = base64.b64decode(r["image"], validate=True)
            except (binascii.Error, ValueError):
                self.image = None
            else:
                self.version = int(self.plan.get("version") or 0)
                self.image_version += 1
        self.changed()

    def load_doors(self) -> None:
        """Every door for the manager's chooser, a page at a time from the core."""
        self.door_pages.load()

    def _on_doors(self, page: list[dict[str, Any]]) -> None:
        # The first page replaces what was shown; the pages after it add to it.
        self.doors = page if self.door_pages.pages == 1 else [*self.doors, *page]
        self.changed()

    def markers(self, states: dict[str, str]) -> list[Marker]:
        """The placed doors with their shown state (``states``: door → shown state)."""
        return [
            Marker(d, x, y, states.get(d, "unknown"))
            for d, (x, y) in sorted(self.positions.items())
        ]

    def unplaced(self, doors: list[str]) -> list[str]:
        return [d for d in doors if d not in self.positions]

    # -- the manager's changes -------------------------------------------------------------

    def upload(self, image_b64: str, done: Callable[[bool], None] | None = None) -> None:
        self.busy = True
        self.changed()

        def answered(reply: Reply) -> None:
            self.busy = False
            if reply.ok:
                self.note = ""
                self.load()
            else:
                self.note = reply.error
                self.changed()
            if done is not None:
                done(reply.ok)

        # The core decodes and re-encodes the plan while the manager waits: a slow answer.
        self.gw.request("siteplan.upload", {"image": image_b64}, answered, timeout=60.0)

    def place(self, x: float, y: float) -> bool:
        """Put the selected door at this place of the plan (fractions from the top left)."""
        door = self.selected
        if not door or self.plan is None:
            return False
        x, y = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
        self.positions[door] = (x, y)  # shown at once; the core's answer confirms or undoes it

        def answered(reply: Reply) -> None:
            self.note = "" if reply.ok else reply.error
            self.load()

        self.gw.request("siteplan.place", {"door": door, "x": x, "y": y}, answered)
        self.changed()
        return True

    def unplace(self) -> bool:
        door = self.selected
        if door not in self.positions:
            return False
        del self.positions[door]

        def answered(reply: Reply) -> None:
            self.note = "" if reply.ok else reply.error
            self.load()

        self.gw.request("siteplan.unplace", {"door": door}, answered)
        self.changed()
        return True
