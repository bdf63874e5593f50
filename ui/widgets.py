"""Widgets the three screens share: finger-sized buttons, the offline banner, the camera view,
the hourly chart, a cheaply clipped scroll view and QR textures."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Line, Mesh, Rectangle
from kivy.graphics.scissor_instructions import ScissorPop, ScissorPush
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from compound.domain.model import InvalidInput
from ui import shapes
from ui.ink import InkLabel
from ui.pixel_scroll import PixelScrollView
from ui.viewmodels.door import FaceBox

log = logging.getLogger(__name__)

MIN_TOUCH = 56  # px; comfortably above the 48 px finger minimum
WINDOW_BG = (0.09, 0.10, 0.13, 1)  # BG in common.kv: the wall clears the window with it

Builder.load_file(str(Path(__file__).with_name("common.kv")))


class TouchButton(Button):
    """A button a finger can hit; ``accent`` colours it (primary, danger, quiet, on)."""

    accent = StringProperty("primary")


class Banner(Label):
    """Red strip at the top when the bus, the core or a device is offline; zero height else."""


class Panel(BoxLayout):
    """A framed block: a title and a text (lists, notices)."""

    title = StringProperty("")
    text = StringProperty("")


class TopLabel(InkLabel):
    """A label whose text starts at its top left corner and whose texture is only as tall as
    its text (``text_size: self.width, None``): drawn at its top, only as wide as its text
    (``ui.ink``). A label given its whole box as ``text_size`` gets a texture of the whole
    box, and software GL blends every pixel of it on every frame, text or empty."""

    at_top = True


class CameraView(Widget):
    """The latest JPEG preview frame with the face box over it.

    JPEGs are decoded on a worker thread; the UI thread only uploads the pixels into a texture
    it keeps (the same size every frame, so no new GL texture per frame). While one frame is
    decoding, newer frames replace each other and only the newest is decoded next: a slow
    moment shows a fresher picture instead of a backlog.
    """

    placeholder = StringProperty("")
    has_frame = BooleanProperty(False)
    _decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ui-jpeg")

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)
        self._texture: Texture | None = None
        self._box: FaceBox | None = None
        self._lock = threading.Lock()
        self._next: bytes | None = None
        self._busy = False
        # The instructions are made once and updated in place: a new frame only changes the
        # texture's pixels, the box only moves its line.
        with self.canvas.after:
            Color(0.05, 0.06, 0.08, 1)
            self._bg = Rectangle()
            self._img_colour = Color(1, 1, 1, 0)
            self._img = Rectangle()
            self._box_colour = Color(0, 0, 0, 0)
            self._line = Line(width=2.5)
        self.bind(pos=self._redraw, size=self._redraw)

    def show(self, jpeg: bytes | None, box: FaceBox | None) -> None:
        if jpeg is not None:
            with self._lock:
                self._next = jpeg
                start = not self._busy
                self._busy = True
            if start:
                self._decoder.submit(self._decode_loop)
        if box != self._box:
            self._box = box
            self._redraw()

    def _decode_loop(self) -> None:
        from compound.adapters import images  # Pillow, off the UI thread

        while True:
            with self._lock:
                jpeg, self._next = self._next, None
                if jpeg is None:
                    self._busy = False
                    return
            try:
                rgb = images.decode(jpeg, what="preview frame")
            except InvalidInput:  # a corrupt frame keeps the previous one
                log.debug("undecodable preview frame")
                continue
            h, w = rgb.shape[:2]
            data = rgb.tobytes()
            Clock.schedule_once(lambda _dt, w=w, h=h, data=data: self._upload(w, h, data), 0)

    def _upload(self, w: int, h: int, rgb: bytes) -> None:
        tex = self._texture
        if tex is None or tuple(tex.size) != (w, h):
            tex = Texture.create(size=(w, h), colorfmt="rgb")
            tex.flip_vertical()
            self._texture = tex
        tex.blit_buffer(rgb, colorfmt="rgb", bufferfmt="ubyte")
        self.has_frame = True
        if self._img.texture is not tex:
            self._redraw()
        else:
            self.canvas.ask_update()  # same texture, new pixels: nothing else moves

    @property
    def texture(self) -> Texture | None:
        return self._texture

    def _redraw(self, *_: object) -> None:
        self._bg.pos, self._bg.size = self.pos, self.size
        if self._texture is None:
            return
        tw, th = self._texture.size
        scale = min(self.width / tw, self.height / th)
        w, h = tw * scale, th * scale
        x, y = self.x + (self.width - w) / 2, self.y + (self.height - h) / 2
        if self._img.texture is not self._texture:
            self._img.texture = self._texture
        self._img_colour.a = 1
        self._img.pos, self._img.size = (x, y), (w, h)
        b = self._box
        if b is None:
            self._box_colour.a = 0
            return
        self._box_colour.rgba = (0.2, 0.85, 0.4, 1) if b.known else (0.95, 0.6, 0.1, 1)
        self._line.rectangle = (x + b.x * w, y + (1 - b.y - b.h) * h, b.w * w, b.h * h)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class HourChart(Widget):
    """Bars of entries per hour, oldest left, with the hour under every third bar.

    The drawing instructions are made once and moved in place, and the numbers' textures are
    kept by text: a live entry changes one bar's height and one number, and the wall gets
    several a second (the chart made 32 new text textures on each of them before)."""

    values = ListProperty([0] * 24)
    labels = ListProperty([""] * 24)
    PAD_B, PAD_T, FONT = 26, 22, 13

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)
        self._textures: dict[str, Texture] = {}
        self._shown: tuple[object, ...] = ()
        self.bind(pos=self._redraw, size=self._redraw, values=self._redraw, labels=self._redraw)

    def _texture(self, text: str) -> Texture:
        tex = self._textures.get(text)
        if tex is None:
            if len(self._textures) > 400:  # hour labels and counts: a few hundred at most
                self._textures.clear()
            lbl = CoreLabel(text=text, font_size=self.FONT)
            lbl.refresh()
            tex = self._textures[text] = lbl.texture
        return tex

    def _redraw(self, *_: object) -> None:
        values: Sequence[int] = list(self.values) or [0]
        labels = list(self.labels)
        shown = (tuple(self.pos), tuple(self.size), tuple(values), tuple(labels))
        if shown == self._shown:
            return  # the same list again: nothing to draw anew
        self._shown = shown
        n = len(values)
        top = max(max(values), 1)
        bw = self.width / max(n, 1)
        hmax = max(self.height - self.PAD_B - self.PAD_T, 1)
        base = self.y + self.PAD_B
        # A count wider than its bar would run into its neighbour's (four digits on a narrow
        # chart): it is left out when it would touch one already placed, the bar still says it.
        placed: list[tuple[float, float, float, float]] = []
        bars: list[tuple[float, float, float, float]] = []
        texts: list[tuple[str, float, float]] = []  # text, its centre x, its bottom
        for i, v in enumerate(values):
            h = hmax * v / top
            cx = self.x + i * bw + bw / 2
            bars.append((self.x + i * bw + 3, base, bw - 6, h))
            if v:
                tw, th = self._texture(str(v)).size
                box = (cx - tw / 2 - 2, base + h + 2, tw + 4, th)
                if not any(_overlap(box, other) for other in placed):
                    placed.append(box)
                    texts.append((str(v), cx, base + h + 2))
            if i % 3 == 0 and i < len(labels) and labels[i]:
                texts.append((labels[i], cx, self.y + 2))
        # Drawn anew: the bars as one mesh and only the texts shown. Software GL spends tens
        # of microseconds on every draw, an empty one too (24 bars and 48 mostly empty text
        # rectangles were 72 draws a frame).
        self.canvas.clear()
        with self.canvas:
            Color(0.25, 0.28, 0.33, 1)
            Line(points=[self.x, base, self.right, base], width=1)
            Color(0.3, 0.62, 0.95, 1)
            vertices, indices = shapes.boxes(bars)
            Mesh(vertices=vertices, indices=indices, mode="triangles")
            Color(0.85, 0.88, 0.92, 1)
            for text, cx, y in texts:
                tex = self._texture(text)
                Rectangle(texture=tex, pos=(cx - tex.width / 2, y), size=tex.size)


class ScissorClip:
    """For a StencilView (a ScrollView, a map): clip with the GPU's scissor rectangle instead
    of the stencil buffer. Kivy's stencil clipping draws the view's whole area twice more each
    frame (to mark it and to clear the mark); with Mesa's software rasteriser that costs as
    much as drawing what is in it. A scissor costs nothing per pixel. Only for views placed in
    window coordinates (no Scatter or rotation above them; inside them is fine)."""

    canvas: Any
    pos: Any
    size: Any
    width: float
    height: float
    parent: Any

    def on_kv_post(self, base_widget: object) -> None:
        # Kivy's rules (the stencil's among them) are applied by now, also for a view made in
        # a kv file, whose rules come after its __init__.
        super().on_kv_post(base_widget)  # type: ignore[misc]
        if getattr(self, "_scissor", None) is not None:
            return
        for group in (self.canvas.before, self.canvas.after):
            for ins in list(group.children):
                if type(ins).__name__.startswith("Stencil"):
                    group.remove(ins)
        # The stencil rule also drew its mask rectangle first in canvas.before and .after.
        for group in (self.canvas.before, self.canvas.after):
            masks = [i for i in group.children if isinstance(i, Rectangle)][:1]
            for ins in masks:
                group.remove(ins)
        self._scissor = ScissorPush(x=0, y=0, width=0, height=0)
        self.canvas.before.insert(0, self._scissor)
        self.canvas.after.insert(0, ScissorPop())
        self.bind(pos=self._clip, size=self._clip, parent=self._clip)  # type: ignore[attr-defined]
        self._clip()

    def _clip(self, *_: object) -> None:
        x, y = self.to_window(*self.pos) if self.parent is not None else self.pos  # type: ignore[attr-defined]
        s = self._scissor
        s.x, s.y = int(x), int(y)
        s.width, s.height = max(0, int(self.width)), max(0, int(self.height))


class ClipScrollView(ScissorClip, PixelScrollView):
    """A ScrollView clipped by scissor (``ScissorClip``) that also leaves out of the drawing
    the children of its content that are scrolled out of sight: Kivy issues every instruction
    of every widget on every frame, seen or not, and the wall's 156 door tiles cost more in
    instructions than in pixels. They stay in the widget tree (touch, layout and tests see
    them); only their canvas is detached while unseen. Its content moves by whole pixels
    (``PixelScrollView``)."""

    def on_kv_post(self, base_widget: object) -> None:
        first = getattr(self, "_scissor", None) is None
        super().on_kv_post(base_widget)
        if not first:
            return
        # Before the next frame is drawn: scrolling, a new layout or new rows are culled anew.
        self._cull_soon = Clock.create_trigger(self._cull, -1)
        # Rows added one by one (forty at a time): their binding is looked at once, after.
        self._watch_soon = Clock.create_trigger(self._watch_children, -1)
        self._watched: Widget | None = None
        self._bound: weakref.WeakSet[Widget] = weakref.WeakSet()
        self.bind(scroll_x=self._cull_soon, scroll_y=self._cull_soon, size=self._cull_soon)
        self.bind(_viewport=self._watch)
        self._watch()

    def _watch(self, *_: object) -> None:
        vp = self._viewport
        if vp is self._watched:
            return
        if self._watched is not None:
            self._watched.funbind("children", self._watch_soon)
            self._watched.funbind("size", self._cull_soon)
            if "shift" in self._watched.properties():
                self._watched.funbind("shift", self._cull_soon)
        self._watched = vp
        if vp is not None:
            vp.fbind("children", self._watch_soon)
            vp.fbind("size", self._cull_soon)
            if "shift" in vp.properties():  # a content that draws its children shifted
                vp.fbind("shift", self._cull_soon)
            self._watch_children()

    def _watch_children(self, *_: object) -> None:
        vp = self._viewport
        if vp is None:
            return
        for child in vp.children:
            if child not in self._bound:
                self._bound.add(child)
                child.fbind("pos", self._cull_soon)
                child.fbind("size", self._cull_soon)
        self._cull_soon()

    def _cull(self, *_: object) -> None:
        vp = self._viewport
        if vp is None:
            return
        # The content's offset, as ScrollView.update_from_scroll will set it (that may run
        # after this in the same frame): the content's coordinates are its own.
        over = self.always_overscroll
        tx = self.x
        if vp.width > self.width or over:
            tx = self.x - self.scroll_x * (vp.width - self.width)
        if vp.height > self.height or over:
            ty = self.y - self.scroll_y * (vp.height - self.height)
        else:
            ty = self.top - vp.height
        # A content that draws its children ``shift`` px up (the passages' LineStrip).
        shift = getattr(vp, "shift", 0)
        left, bottom = self.x - round(tx), self.y - round(ty) - shift
        right, top = left + self.width, bottom + self.height
        drawn = {id(c) for c in vp.canvas.children}
        for child in vp.children:
            seen = child.x < right and child.right > left and child.y < top and child.top > bottom
            present = id(child.canvas) in drawn
            if seen and not present:
                vp.canvas.add(child.canvas)
            elif present and not seen:
                vp.canvas.remove(child.canvas)


def texture_from_rgb(width: int, height: int, rgb: bytes) -> Texture:
    """A texture from top-down RGB rows (as PIL and qrcode give them)."""
    tex = Texture.create(size=(width, height), colorfmt="rgb")
    tex.blit_buffer(rgb, colorfmt="rgb", bufferfmt="ubyte")
    tex.flip_vertical()
    tex.mag_filter = "nearest"
    return tex
