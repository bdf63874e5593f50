"""The site plan with door markers, shared by the officer wall's map and the manager's plan tab.

The plan JPEG is decoded on a worker thread (Pillow through ``compound.adapters.images``) and
uploaded into a texture on the UI thread. The plan sits in a ``Scatter``: a finger drags it,
two fingers or the zoom buttons zoom it, and it never leaves its frame (a ``StencilView``).
A tap (a touch that hardly moved) on a marker names that door; a tap elsewhere gives the place
on the plan, as fractions from the top left, for the manager to put a door there. Where markers
may be moved (the manager's tab, ``on_move``), a finger on a marker drags it instead of the plan,
and lets it go at its new place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, InstructionGroup, Line, Mesh, Rectangle
from kivy.graphics.texture import Texture
from kivy.uix.scatter import Scatter
from kivy.uix.stencilview import StencilView

from compound.domain.model import InvalidInput
from ui import shapes
from ui.screens.map_markers import RADIUS, URGENT, MarkerMeshes, radius
from ui.screens.plan_texts import PlanTexts, Text
from ui.viewmodels.map_labels import Box, Placed, Spot, place_labels
from ui.viewmodels.site_blocks import ASPECT, TITLE, Block
from ui.viewmodels.site_map import Marker
from ui.widgets import ScissorClip

log = logging.getLogger(__name__)

TITLE_COLOUR = (0.75, 0.85, 1, 1)
TAP_MOVE = 12  # px a touch may move and still be a tap


def mesh(shape: shapes.Mesh) -> Mesh:
    vertices, indices = shape
    return Mesh(vertices=vertices, indices=indices, mode="triangles")


class PlanView(ScissorClip, StencilView):  # clipped by scissor: cheap in software GL
    _decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ui-plan")

    def __init__(
        self,
        on_marker: Callable[[str], None] | None = None,
        on_place: Callable[[float, float], None] | None = None,
        on_move: Callable[[str, float, float], None] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.on_marker = on_marker
        self.on_place = on_place
        self.on_move = on_move  # a marker dragged to a new place (the manager's tab only)
        self.scatter = Scatter(
            do_rotation=False, scale_min=1.0, scale_max=6.0, size_hint=(None, None)
        )
        self.add_widget(self.scatter)
        self.texture: Texture | None = None
        self.plan_size = (1, 1)
        self.markers: list[Marker] = []
        self.labels: dict[str, str] = {}
        self.selected = ""
        self._titles: list[Text] = []  # the blocks' names, written with the door labels
        with self.scatter.canvas:
            self._img_colour = Color(1, 1, 1, 0)
            self._img = Rectangle()
        self.blocks: list[Block] = []  # the generated layout while there is no plan image
        self.block_titles: dict[str, str] = {}
        self._title_boxes: list[Box] = []
        self.placed: list[Placed] = []  # the door labels drawn, where (plan units)
        self._placed_key: tuple[Any, ...] = ()
        self._blocks = InstructionGroup()
        self.scatter.canvas.add(self._blocks)
        self.meshes = MarkerMeshes()  # a door's change redraws that door's marker alone
        self.scatter.canvas.add(self.meshes.group)
        self._labels_stale = True  # the labels' text or the door touched changed
        self._grounds = InstructionGroup()  # the labels' dark grounds
        self.scatter.canvas.add(self._grounds)
        self.texts = PlanTexts()
        self.scatter.canvas.add(self.texts.group)
        # Drawn at most once a frame, at the start of the next one (``Clock`` timeout 0: with
        # -1, before this frame, each of the first showing's layout passes drew again): the
        # layout moves and sizes the frame, fits the plan and sets the markers, and each of
        # those drew the xian wall's 189 markers and placed their labels again, up to 29 times
        # in one frame. The first showing's longest frame of UI-thread CPU, medians of 5 runs:
        # block layout 81.3 -> 19.2 ms, drawn plan 111.9 -> 22.0 ms (docs/notes/ui.md).
        self._redraw = Clock.create_trigger(self._draw, 0)
        # The labels' first placing waits for the frame after the markers' (9-15 ms of it).
        self._place_later = Clock.create_trigger(self._first_labels, 0)
        self._blocks_stale = True  # the blocks and their names to draw again, not just markers
        self._decoding = 0  # plan pictures being decoded
        self.draws = 0  # how many times the markers were drawn (counted per frame in tests)
        self.scatter.bind(scale=lambda *_: self._redraw())
        self.bind(pos=lambda *_: self.fit(), size=lambda *_: self.fit())

    # -- the image -------------------------------------------------------------------------

    def set_image(self, jpeg: bytes) -> None:
        self._decoding += 1  # no labels are placed on a plan whose picture is still coming
        self._decoder.submit(self._decode, jpeg)

    def _decode(self, jpeg: bytes) -> None:
        from compound.adapters import images  # Pillow, off the UI thread

        try:
            rgb = images.decode(jpeg, what="site plan")
        except InvalidInput:
            log.warning("the site plan from the core could not be decoded")
            Clock.schedule_once(lambda _dt: self._decoded(), 0)
            return
        h, w = rgb.shape[:2]
        data = rgb.tobytes()
        Clock.schedule_once(lambda _dt: self._upload(w, h, data), 0)

    def _decoded(self) -> None:
        self._decoding -= 1
        self._redraw()

    def _upload(self, w: int, h: int, rgb: bytes) -> None:
        self._decoding -= 1
        tex = Texture.create(size=(w, h), colorfmt="rgb")
        tex.blit_buffer(rgb, colorfmt="rgb", bufferfmt="ubyte")
        tex.flip_vertical()
        self.texture = tex
        self.plan_size = (w, h)
        self.blocks = []  # a real plan replaces the generated layout
        self._img.texture = tex
        self._img_colour.a = 1
        self.fit()

    @property
    def has_image(self) -> bool:
        return self.texture is not None

    # -- the generated layout --------------------------------------------------------------

    def set_blocks(self, blocks: list[Block], titles: dict[str, str]) -> None:
        """Draw buildings as blocks (no plan image yet); an empty list takes them away."""
        if (blocks, titles) == (self.blocks, self.block_titles):
            return
        self.blocks, self.block_titles = blocks, titles
        if blocks and self.texture is None:
            self.plan_size = (int(1000 * ASPECT), 1000)
            self.fit()
        self._blocks_stale = True
        self._redraw()

    def _draw(self, *_: Any) -> None:
        if self._blocks_stale:
            self._blocks_stale = False
            self._draw_blocks()
        self._draw_markers()

    def _draw_blocks(self) -> None:
        g = self._blocks
        g.clear()
        self._labels_stale = True  # the labels keep clear of the blocks' names
        self._title_boxes = []  # labels of doors keep clear of the blocks' names
        self._titles = []
        if not self.blocks or self.texture is not None:
            return
        w, h = self.scatter.size
        # The ground's edge, not a filled ground: software GL blends each filled pixel on
        # every frame, and the ground was half the wall's right side.
        g.add(Color(0.27, 0.31, 0.39, 1))
        g.add(Line(rectangle=(0, 0, w, h), width=1))  # a GL line, not triangles (common.kv)
        for b in self.blocks:
            x, y, bw, bh = b.x * w, (1 - b.y - b.h) * h, b.w * w, b.h * h
            g.add(Color(0.27, 0.31, 0.38, 1) if b.key != "site" else Color(0.25, 0.33, 0.30, 1))
            g.add(Rectangle(pos=(x, y), size=(bw, bh)))
            title = self.block_titles.get(b.key, b.key)
            tw, th = self.texts.size(title, 15)
            tw, th = min(tw, bw - 4), min(th, bh * TITLE)
            box = (x + (bw - tw) / 2, y + bh - th - 2, tw, th)
            self._title_boxes.append(box)
            self._titles.append((title, 15, box, TITLE_COLOUR))

    # -- zoom ------------------------------------------------------------------------------

    def fit(self) -> None:
        """The whole plan in the frame, centred, at zoom 1."""
        pw, ph = self.plan_size
        k = min(self.width / pw, self.height / ph) if pw and ph else 1
        w, h = max(pw * k, 1), max(ph * k, 1)
        self.scatter.scale = 1.0
        self.scatter.size = (w, h)
        self.scatter.pos = (self.x + (self.width - w) / 2, self.y + (self.height - h) / 2)
        # No area without a picture: a transparent rectangle costs its pixels all the same.
        self._img.pos, self._img.size = (0, 0), (w, h) if self.texture is not None else (0, 0)
        self._blocks_stale = True
        self._redraw()

    def zoom(self, factor: float) -> None:
        """Zoom about the centre of the frame."""
        s = self.scatter
        new = min(max(s.scale * factor, s.scale_min), s.scale_max)
        cx, cy = self.center
        lx, ly = s.to_local(cx, cy)
        s.scale = new
        nx, ny = s.to_parent(lx, ly)
        s.pos = (s.x + cx - nx, s.y + cy - ny)

    # -- markers ---------------------------------------------------------------------------

    def set_markers(self, markers: list[Marker], labels: dict[str, str], selected: str) -> None:
        if (markers, labels, selected) == (self.markers, self.labels, self.selected):
            return
        if (labels, selected) != (self.labels, self.selected):
            self._labels_stale = True
        self.markers, self.labels, self.selected = markers, labels, selected
        self._redraw()

    @property
    def drawn(self) -> bool:
        """Whether everything is drawn: no redraw waiting and every label's text made."""
        busy = self._redraw.is_triggered or self._place_later.is_triggered or self._decoding
        return not busy and not self.texts.pending

    def _draw_markers(self) -> None:
        """Markers and labels keep their size on the screen whatever the zoom (the plan grows,
        they do not), so zooming in separates crowded doors and names more of them in full."""
        self.draws += bool(self.markers)
        w, h = self.scatter.size
        k = 1 / max(self.scatter.scale, 1e-6)
        moved = self.meshes.draw(self.markers, (w, h), k, self.selected)
        # The labels' first placing, and a placing for a new size of the plan (the picture
        # arrived, the frame changed), waits for the next frame; a zoom places them at once.
        # A door changing colour only (opened, shut) leaves them, and their grounds, as they are.
        if self.placed and self._placed_key[3] == (w, h):
            if moved or self._labels_stale:
                self._draw_labels()
        else:
            self._grounds.clear()  # none seen for a frame rather than in their old places
            self.texts.hide()
            self._place_later()

    def _first_labels(self, *_: Any) -> None:
        if self._redraw.is_triggered:  # the markers change first, and place them then
            return
        if not (self._decoding and self.texture is None):
            self._draw_labels()

    def _draw_labels(self) -> None:
        self._place_later.cancel()
        self._labels_stale = False
        w, h = self.scatter.size
        k = 1 / max(self.scatter.scale, 1e-6)
        ordered = sorted(self.markers, key=lambda m: m.state in URGENT)
        spots = [
            Spot(m.door, m.x * w, (1 - m.y) * h, radius(m, k), self.labels.get(m.door, ""),
                 m.state in URGENT)
            for m in reversed(ordered)
        ]  # fmt: skip

        def size_of(text: str) -> tuple[float, float]:
            w, h = self.texts.size(text, 13)
            return w * k, h * k

        # No label covers another or any marker: crowded ones are shortened or left out, the
        # door touched is named in full (``map_labels``).
        # Placed again only when a label, a marker's place or size, the zoom or the door
        # touched changed: a door opening or closing only recolours its marker.
        key = (tuple(spots), k, self.selected, (w, h), tuple(self._title_boxes))
        if key != self._placed_key:
            self._placed_key = key
            self.placed = place_labels(spots, size_of, k, self.selected, (w, h), key[4])
        texts: list[Text] = [(p.text, 13, p.box, (1, 1, 1, 1)) for p in self.placed]
        if [*texts, *self._titles] == self.texts.shown:
            return
        # The labels' dark grounds as one mesh (they never overlap), then each label's text.
        self._grounds.clear()
        self._grounds.add(Color(0, 0, 0, 0.6))
        self._grounds.add(mesh(shapes.boxes([p.box for p in self.placed])))
        self.texts.show([*texts, *self._titles])

    # -- touches ---------------------------------------------------------------------------

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        touch.ud[f"plan{id(self)}"] = touch.pos
        door = self.marker_at(*touch.pos) if self.on_move is not None and self.has_image else None
        if door is not None:
            # A finger on a marker drags the marker, not the plan.
            touch.grab(self)
            touch.ud[f"drag{id(self)}"] = door
            return True
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        door = touch.ud.get(f"drag{id(self)}")
        if door is None or touch.grab_current is not self:
            return bool(super().on_touch_move(touch))
        x, y = self.place_at(touch.x, touch.y)
        self.markers = [
            Marker(m.door, x, y, m.state) if m.door == door else m for m in self.markers
        ]
        self._redraw()
        return True

    def on_touch_up(self, touch: Any) -> bool:
        door = touch.ud.get(f"drag{id(self)}")
        if door is not None:
            if touch.grab_current is not self:
                return False
            touch.ungrab(self)
            start = touch.ud[f"plan{id(self)}"]
            moved = abs(touch.x - start[0]) > TAP_MOVE or abs(touch.y - start[1]) > TAP_MOVE
            if moved and self.on_move is not None:
                self.on_move(door, *self.place_at(touch.x, touch.y))
            elif self.on_marker is not None:
                self.on_marker(door)
            return True
        start = touch.ud.get(f"plan{id(self)}")
        handled = bool(super().on_touch_up(touch))
        if start is None or not (self.has_image or self.blocks or self.markers):
            return handled
        if abs(touch.x - start[0]) > TAP_MOVE or abs(touch.y - start[1]) > TAP_MOVE:
            return True  # a drag: the scatter moved the plan
        self.tap(touch.x, touch.y)
        return True

    def marker_at(self, wx: float, wy: float) -> str | None:
        """The door whose marker is under this point of the window, if any."""
        s = self.scatter
        lx, ly = s.to_local(wx, wy)
        w, h = s.size
        reach = RADIUS * 1.5 + 8 / max(s.scale, 1e-6)  # the marker and a finger's slack
        best, dist = None, reach
        for m in self.markers:
            d = ((m.x * w - lx) ** 2 + ((1 - m.y) * h - ly) ** 2) ** 0.5
            if d <= dist:
                best, dist = m, d
        return None if best is None else best.door

    def place_at(self, wx: float, wy: float) -> tuple[float, float]:
        """The place of the plan under this point of the window (fractions, kept on it)."""
        lx, ly = self.scatter.to_local(wx, wy)
        w, h = self.scatter.size
        return min(max(lx / w, 0.0), 1.0), min(max(1 - ly / h, 0.0), 1.0)

    def tap(self, wx: float, wy: float) -> None:
        """A tap at this point of the frame: a marker near it, else a place on the plan. The
        markers answer as soon as they are drawn, on the empty square that waits for the
        plan's picture as well; a place is only given on a plan that can be seen."""
        door = self.marker_at(wx, wy)
        lx, ly = self.scatter.to_local(wx, wy)
        w, h = self.scatter.size
        seen = self.has_image or bool(self.blocks)
        if door is not None and self.on_marker is not None:
            self.on_marker(door)
        elif seen and 0 <= lx <= w and 0 <= ly <= h and self.on_place is not None:
            self.on_place(lx / w, 1 - ly / h)

    def point_of(self, x: float, y: float) -> tuple[float, float]:
        """Where in the window a place of the plan (fractions from the top left) is now."""
        w, h = self.scatter.size
        px, py = self.scatter.to_parent(x * w, (1 - y) * h)
        wx, wy = self.to_window(px, py)
        return float(wx), float(wy)
