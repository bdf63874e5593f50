"""The site map's door markers, drawn so that a door's change repaints that door alone.

A marker is a dark halo and a disc in its state's colour (``ui.shapes``); urgent doors are
drawn larger and over the rest. A mesh holds the discs of one colour in one layer (the other
doors, then the urgent ones: a handful of GL draws, not two per door), each disc in a slot of
its own. A door changing colour leaves its slot in the old colour's mesh (folded to a point,
which covers no pixel) and takes a free slot in the new one: one disc computed and two meshes
sent, whatever the number of doors. Before, every door state (some 26 a second under the wall
frame bench) computed all 156 doors' discs again in Python. A mesh is packed again when most
of its slots are free; the zoom or the plan's size changing draws every marker again.
"""

from __future__ import annotations

from collections.abc import Sequence

from kivy.graphics import Color, InstructionGroup, Line, Mesh

from ui import shapes
from ui.screens.officer_doors import STATE_COLOURS as TILE_COLOURS
from ui.viewmodels.site_map import Marker

# The door tiles' colours, lifted: markers are drawn over a photo or drawing of the site, not on
# the wall's dark background, and a state must read as the same colour in both views.
STATE_COLOURS = {
    state: (*(min(1.0, c * 1.3) for c in rgba[:3]), 1.0) for state, rgba in TILE_COLOURS.items()
}
URGENT = ("forced", "alarm", "held_open")
RADIUS = 9  # px of a marker on the plan at zoom 1; urgent ones are drawn larger
# A marker's circle in 20 pieces: Kivy's default is 180, and 312 circles of 180 triangles
# each cost the wall's map view a third of its CPU per frame in software GL (108 → 77 ms,
# bench_wall_frame); at a marker's size 20 pieces look as round.
SEGMENTS = 20
HALO = (0.0, 0.0, 0.0, 0.75)
SPARE = 8  # free slots a mesh may keep whatever its size before it is packed


def colour_of(state: str) -> tuple[float, ...]:
    return STATE_COLOURS.get(state, STATE_COLOURS["unknown"])


def radius(marker: Marker, k: float) -> float:
    """A marker's radius on the plan (``k``: one screen pixel in the plan's units)."""
    return RADIUS * k * (1.5 if marker.state in URGENT else 1.0)


class DiscSlots:
    """Discs of one colour as one mesh, a slot per door."""

    def __init__(self, name: str, rgba: tuple[float, ...], segments: int = SEGMENTS) -> None:
        self.name = name
        self.colour = Color(*rgba)
        self.mesh = Mesh(mode="triangles")
        self.segments = segments
        self.rim = shapes.ring(segments)
        self.width = 4 * (segments + 1)  # floats of a slot's vertices
        self.slots: dict[str, int] = {}
        self.discs: dict[str, tuple[float, float, float]] = {}
        self.free: list[int] = []
        self.vertices: list[float] = []
        self.indices: list[int] = []
        self._sent = self._indices_sent = True

    def put(self, door: str, x: float, y: float, r: float) -> None:
        slot = self.slots.get(door)
        if slot is None:
            slot = self.free.pop() if self.free else self._new_slot()
            self.slots[door] = slot
        n = self.width
        self.vertices[slot * n : (slot + 1) * n] = shapes.disc(x, y, r, self.rim)
        self.discs[door] = (x, y, r)
        self._sent = False

    def take(self, door: str) -> None:
        slot = self.slots.pop(door, None)
        if slot is None:
            return
        del self.discs[door]
        n = self.width
        self.vertices[slot * n : (slot + 1) * n] = [0.0] * n  # folded to a point
        self.free.append(slot)
        self._sent = False

    def clear(self) -> None:
        self.slots, self.discs, self.free = {}, {}, []
        self.vertices, self.indices = [], []
        self._sent = self._indices_sent = False

    def _new_slot(self) -> int:
        slot = len(self.vertices) // self.width
        if (slot + 1) * (self.segments + 1) > shapes.MAX_VERTICES:
            raise ValueError(f"more than {shapes.MAX_VERTICES} vertices in one mesh")
        self.vertices += [0.0] * self.width
        self.indices += shapes.fan(slot * (self.segments + 1), self.segments)
        self._indices_sent = False
        return slot

    def send(self) -> bool:
        """What changed to the mesh (to GL when it is drawn); whether there was anything."""
        if len(self.free) > max(len(self.slots), SPARE):
            discs = self.discs
            self.clear()
            for door, (x, y, r) in discs.items():
                self.put(door, x, y, r)
        if self._sent and self._indices_sent:
            return False
        self.mesh.vertices = self.vertices
        if not self._indices_sent:
            self.mesh.indices = self.indices
        self._sent = self._indices_sent = True
        return True


class Layer:
    """The halos, then a mesh per colour, of the other doors or of the urgent ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.group = InstructionGroup()
        self.halo = DiscSlots(f"{name} halo", HALO)
        self.colours: dict[tuple[float, ...], DiscSlots] = {}
        self._add(self.halo)

    def _add(self, slots: DiscSlots) -> None:
        self.group.add(slots.colour)
        self.group.add(slots.mesh)

    def colour(self, state: str) -> DiscSlots:
        rgba = colour_of(state)
        slots = self.colours.get(rgba)
        if slots is None:
            slots = self.colours[rgba] = DiscSlots(f"{self.name} {state}", rgba)
            self._add(slots)
        return slots

    def meshes(self) -> list[DiscSlots]:
        return [self.halo, *self.colours.values()]


class MarkerMeshes:
    """Every door's marker on the plan, and a ring around the door touched."""

    def __init__(self) -> None:
        self.group = InstructionGroup()
        self.layers = (Layer("other"), Layer("urgent"))  # drawn in this order
        self.ring = InstructionGroup()
        for layer in self.layers:
            self.group.add(layer.group)
        self.group.add(self.ring)
        self.shown: dict[str, Marker] = {}
        self._scale: tuple[tuple[float, float], float] | None = None
        self._ring_key: tuple[object, ...] = ()
        self.rebuilds = 0  # every marker drawn again (counted in tests)
        self.sent: list[str] = []  # the meshes the last draw changed (read in tests)

    def draw(
        self, markers: Sequence[Marker], size: tuple[float, float], k: float, selected: str
    ) -> bool:
        """Show ``markers`` on a plan of ``size`` at ``k`` plan units a screen pixel, redrawing
        the doors that changed. Whether a marker came, went, moved or changed size (the labels
        are placed around the markers; a colour alone does not move them)."""
        moved = False
        if (size, k) != self._scale:
            self._scale = (size, k)
            self.rebuilds += 1
            for layer in self.layers:
                for slots in layer.meshes():
                    slots.clear()
            self.shown = {}
            moved = True
        now: dict[str, Marker] = {}
        for m in markers:
            now[m.door] = m
            was = self.shown.get(m.door)
            if was is not m and was != m:  # the same object for a door that did not change
                moved = self._change(was, m, size, k) or moved
        for door in self.shown.keys() - now.keys():
            self._take(self.shown[door])
            moved = True
        self.shown = now
        self._draw_ring(now.get(selected), size, k)
        self.sent = [s.name for layer in self.layers for s in layer.meshes() if s.send()]
        return moved

    def _layer(self, m: Marker) -> Layer:
        return self.layers[m.state in URGENT]

    def _change(self, was: Marker | None, m: Marker, size: tuple[float, float], k: float) -> bool:
        if was is not None and (was.x, was.y, self._layer(was)) == (m.x, m.y, self._layer(m)):
            # The same place and size: only its colour, if the new state has another one.
            old, new = self._layer(was).colour(was.state), self._layer(m).colour(m.state)
            if old is not new:
                disc = old.discs.get(m.door) or self._disc(m, size, k)
                old.take(m.door)
                new.put(m.door, *disc)
            return False
        if was is not None:
            self._take(was)
        layer = self._layer(m)
        x, y, r = self._disc(m, size, k)
        layer.halo.put(m.door, x, y, r + 2 * k)
        layer.colour(m.state).put(m.door, x, y, r)
        return True

    def _take(self, m: Marker) -> None:
        layer = self._layer(m)
        layer.halo.take(m.door)
        layer.colour(m.state).take(m.door)

    @staticmethod
    def _disc(m: Marker, size: tuple[float, float], k: float) -> tuple[float, float, float]:
        w, h = size
        return m.x * w, (1 - m.y) * h, radius(m, k)

    def _draw_ring(self, m: Marker | None, size: tuple[float, float], k: float) -> None:
        key = (m, size, k)
        if key == self._ring_key:
            return
        self._ring_key = key
        self.ring.clear()
        if m is not None:
            x, y, r = self._disc(m, size, k)
            self.ring.add(Color(1, 1, 1, 1))
            self.ring.add(Line(circle=(x, y, r + 5 * k), width=2))

    def where(self, door: str) -> tuple[DiscSlots, int] | None:
        """The colour mesh and slot a door's disc is drawn in (for tests and probes)."""
        m = self.shown.get(door)
        if m is None:
            return None
        slots = self._layer(m).colour(m.state)
        return slots, slots.slots[door]
