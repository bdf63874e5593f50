"""The 24-hour chart in a real window: each bar as tall as its count against the largest, the
counts and every third hour written, and nothing drawn for what is not shown (no empty text
rectangle: software GL pays for each draw)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Driver

pytestmark = [pytest.mark.ui]

BAR = (77, 158, 242)  # the bars' colour, 0.3 0.62 0.95


def column(picture: Any, x: int) -> list[bool]:
    """Whether each pixel of column ``x`` (bottom up) is bar-coloured."""
    w, h = picture.size
    return [
        max(abs(a - b) for a, b in zip(picture.getpixel((x, h - 1 - y))[:3], BAR, strict=True)) <= 3
        for y in range(h)
    ]


def test_bars_counts_and_hours_are_drawn_and_nothing_else(driver: Driver) -> None:
    from io import BytesIO

    from kivy.graphics import Mesh, Rectangle
    from kivy.uix.floatlayout import FloatLayout
    from PIL import Image

    from ui.widgets import HourChart

    root = FloatLayout()
    chart = HourChart(size_hint=(None, None), size=(480, 300), pos=(0, 0))
    root.add_widget(chart)
    driver.mount(root, (1024, 600))
    values = [0] * 24
    values[4], values[10] = 100, 50
    chart.labels = [f"{h:02d}" for h in range(24)]
    chart.values = values
    driver.pump(0.2)
    texts = [i for i in chart.canvas.children if isinstance(i, Rectangle)]
    assert len([i for i in chart.canvas.children if isinstance(i, Mesh)]) == 1
    # Two counts and the eight hours under every third bar; no rectangle for a zero count.
    assert len(texts) == 2 + 8 and all(r.size[0] > 0 and r.size[1] > 0 for r in texts)
    data = BytesIO()
    chart.export_as_image().save(data, fmt="png")
    picture = Image.open(BytesIO(data.getvalue())).convert("RGB")
    bw = 480 / 24
    tall, half, empty = (column(picture, int(i * bw + bw / 2)) for i in (4, 10, 5))
    assert sum(half) == pytest.approx(sum(tall) / 2, abs=2) and sum(tall) > 200
    assert not any(empty)
    chart.values = [0] * 23 + [7]  # a new hour: drawn anew, the old bars gone
    driver.pump(0.2)
    assert len([i for i in chart.canvas.children if isinstance(i, Rectangle)]) == 1 + 8
