"""Where the site map's door labels go, so that none covers another label or any door's marker.

Crowded doors (the gates and garages of a generated block layout, a real plan's doors close
together) cannot all be named at once. Each label is tried under its marker, above it, right
and left of it, in full, then abbreviated ("Garage 1" → "G1", "地库1号口" → "地1"); one that fits
nowhere is left out. The door touched is placed first, always in full: further out if need be,
else over its neighbours' markers as a callout (the map's info line names it too). Urgent doors
come next. Zooming in spreads the markers while the labels keep their size, so more of them
fit in full. Pure: sizes are measured by the caller (``size_of``) in the plan's units.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x, y (bottom left), width, height


@dataclass(frozen=True)
class Spot:
    door: str
    x: float  # the marker's centre in the plan's units, y upwards
    y: float
    r: float  # the marker's radius
    text: str  # the full label
    urgent: bool = False


@dataclass(frozen=True)
class Placed:
    door: str
    text: str
    box: Box
    full: bool  # the whole label, not its short form


def short_label(text: str) -> str:
    """A label's short form: its first letter and number ("G1", "地1"), else its first word
    ("Main") or first two characters ("南门"); short labels ("12-3") stay as they are."""
    if len(text) <= 4:
        return text
    number = re.search(r"\d+(?:-\d+)?", text)
    if number:
        head = text[: number.start()].strip()
        return (head[:1] + number.group()) if head else number.group()
    first = text.split()[0]
    return first if first != text else text[:2]


def overlaps(a: Box, b: Box, gap: float = 0.0) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw + gap and bx < ax + aw + gap and ay < by + bh and by < ay + ah


class Grid:
    """Boxes filed by the cells of a grid they touch, to find the few near a box without
    looking at all of them (156 doors, each label tried in up to four places, every redraw)."""

    def __init__(self, cell: float) -> None:
        self.cell = max(cell, 1e-6)
        self.cells: dict[tuple[int, int], list[tuple[Box, str]]] = {}

    def _keys(self, box: Box) -> list[tuple[int, int]]:
        x, y, w, h = box
        c = self.cell
        return [
            (i, j)
            for i in range(int(x // c), int((x + w) // c) + 1)
            for j in range(int(y // c), int((y + h) // c) + 1)
        ]

    def add(self, box: Box, owner: str = "") -> None:
        for key in self._keys(box):
            self.cells.setdefault(key, []).append((box, owner))

    def hits(self, box: Box, gap: float = 0.0, but: str | None = None) -> bool:
        """Whether ``box`` covers a box filed here (``but`` the ones of that owner)."""
        grown = (box[0] - gap, box[1], box[2] + 2 * gap, box[3])
        return any(
            owner != but and overlaps(box, other, gap)
            for key in self._keys(grown)
            for other, owner in self.cells.get(key, ())
        )


def place_labels(
    spots: Sequence[Spot],
    size_of: Callable[[str], tuple[float, float]],
    k: float,
    selected: str = "",
    plan: tuple[float, float] | None = None,
    keep_clear: Sequence[Box] = (),
) -> list[Placed]:
    """The labels to draw and where. ``k`` is one screen pixel in the plan's units (labels keep
    their size on the screen); ``plan`` is its width and height, which labels stay inside;
    ``keep_clear`` are other things on the plan no label may cover (the blocks' names)."""
    blocked = Grid(60 * k)  # the markers and the names of blocks
    for s in spots:
        blocked.add((s.x - s.r, s.y - s.r, 2 * s.r, 2 * s.r), s.door)
    for c in keep_clear:
        blocked.add(c)
    taken = Grid(60 * k)  # the labels placed so far
    gap = 4 * k  # labels that merely touch read as one ("1-11-21-3")
    order = sorted(
        (s for s in spots if s.text),
        key=lambda s: (s.door != selected, not s.urgent),  # stable: the caller's order kept
    )
    out: list[Placed] = []
    for s in order:
        texts = (
            [s.text] if s.door == selected else list(dict.fromkeys([s.text, short_label(s.text)]))
        )
        touched = s.door == selected
        spot = _first_free(s, texts, size_of, k, blocked, taken, gap, plan, touched)
        if spot is None and touched:  # named in full over its neighbours: a callout
            w, h = size_of(s.text)
            spot = (s.text, (s.x - w / 2, s.y - s.r - 3 * k - h, w, h))
        if spot is not None:
            text, box = spot
            taken.add(box)
            out.append(Placed(s.door, text, box, text == s.text))
    return out


def _first_free(
    s: Spot,
    texts: list[str],
    size_of: Callable[[str], tuple[float, float]],
    k: float,
    blocked: Grid,
    taken: Grid,
    gap: float,
    plan: tuple[float, float] | None,
    far: bool = False,
) -> tuple[str, Box] | None:
    rings = 4 if far else 1  # the door touched is also tried further out
    for text in texts:
        w, h = size_of(text)
        boxes = []
        for ring in range(rings):
            d = 3 * k + ring * (h + 2 * k)
            boxes += [
                (s.x - w / 2, s.y - s.r - d - h, w, h),  # below
                (s.x - w / 2, s.y + s.r + d, w, h),  # above
                (s.x + s.r + d, s.y - h / 2, w, h),  # right
                (s.x - s.r - d - w, s.y - h / 2, w, h),  # left
            ]
        for box in boxes:
            if plan is not None and not _inside(box, plan):
                continue
            if blocked.hits(box, but=s.door) or taken.hits(box, gap):
                continue
            return text, box
    return None


def _inside(box: Box, plan: tuple[float, float]) -> bool:
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= plan[0] and y + h <= plan[1]
