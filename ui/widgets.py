"""Widgets the three screens share: finger-sized buttons, the offline banner, the camera view,
the hourly chart and QR textures."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Line, Rectangle
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from compound.domain.model import InvalidInput
from ui.viewmodels.door import FaceBox

log = logging.getLogger(__name__)

MIN_TOUCH = 56  # px; comfortably above the 48 px finger minimum

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


class HourChart(Widget):
    """Bars of entries per hour, oldest left, with the hour under every third bar."""

    values = ListProperty([0] * 24)
    labels = ListProperty([""] * 24)

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)
        self.bind(pos=self._redraw, size=self._redraw, values=self._redraw, labels=self._redraw)

    def _redraw(self, *_: object) -> None:
        self.canvas.clear()
        values: Sequence[int] = self.values or [0]
        top = max(max(values), 1)
        n = len(values)
        pad_b, pad_t = 26, 22
        bw = self.width / max(n, 1)
        hmax = max(self.height - pad_b - pad_t, 1)
        with self.canvas:
            Color(0.25, 0.28, 0.33, 1)
            Line(points=[self.x, self.y + pad_b, self.right, self.y + pad_b], width=1)
            for i, v in enumerate(values):
                h = hmax * v / top
                Color(0.3, 0.62, 0.95, 1)
                Rectangle(pos=(self.x + i * bw + 3, self.y + pad_b), size=(bw - 6, h))
                if v:
                    self._text(str(v), self.x + i * bw + bw / 2, self.y + pad_b + h + 2, 13)
                if i % 3 == 0 and i < len(self.labels):
                    self._text(self.labels[i], self.x + i * bw + bw / 2, self.y + 2, 13)

    def _text(self, text: str, cx: float, y: float, size: int) -> None:
        lbl = CoreLabel(text=text, font_size=size)
        lbl.refresh()
        tex = lbl.texture
        Color(0.85, 0.88, 0.92, 1)
        Rectangle(texture=tex, pos=(cx - tex.width / 2, y), size=tex.size)


def texture_from_rgb(width: int, height: int, rgb: bytes) -> Texture:
    """A texture from top-down RGB rows (as PIL and qrcode give them)."""
    tex = Texture.create(size=(width, height), colorfmt="rgb")
    tex.blit_buffer(rgb, colorfmt="rgb", bufferfmt="ubyte")
    tex.flip_vertical()
    tex.mag_filter = "nearest"
    return tex
