"""Text is sampled from its texture's nearest texel, at whole pixels: every label's texture on
the wall is made nearest-filtered (Mesa's software rasteriser samples it faster than Kivy's
linear filter, and at whole pixels the picture is the same), also when a new text replaces it,
and a clipped scroll view moves its content by whole pixels, so no label is drawn a fraction
of a pixel off (where nearest would shift it and linear would blur it). A live passage's
texture is as wide as its text, drawn at the same pixels as before."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.officer_wall import on_wall
from tests.ui.screen_text import shows

pytestmark = [pytest.mark.ui]


def drawn_at(label: Any) -> list[tuple[float, float]]:
    """Where in the window each rectangle drawing ``label``'s texture starts."""
    from kivy.graphics import Rectangle

    return [
        label.to_window(*i.pos)
        for group in (label.canvas.before, label.canvas, label.canvas.after)
        for i in group.children
        if isinstance(i, Rectangle) and shows(i.texture, label)
    ]


def off_pixel(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(x, y) for x, y in points if x != round(x) or y != round(y)]


@pytest.mark.integration
def test_every_label_on_the_wall_is_nearest_filtered_also_after_new_text(
    site: Site, driver: Driver
) -> None:
    from kivy.uix.label import Label

    from ui.i18n import Strings

    with on_wall(site, driver, Strings("zh")) as built:
        root = built.root

        def labels() -> list[Any]:
            return [w for w in root.walk(restrict=True) if isinstance(w, Label) and w.texture]

        # The header, the buttons, the panels, the door tiles.
        driver.until(lambda: len(labels()) > 30 and root.tile_views(), what="wall drawn")
        driver.pump(0.3)
        labels_now = labels()
        filters = {(w.texture.mag_filter, w.texture.min_filter) for w in labels_now}
        assert filters == {("nearest", "nearest")}
        # A text of two lines needs a texture of another size: made anew, and nearest again.
        title = root.ids.alarms_title
        before = title.texture
        title.text = title.text + "\n强行开门 3"
        driver.until(lambda: title.texture is not before, what="a new texture")
        assert (title.texture.mag_filter, title.texture.min_filter) == ("nearest", "nearest")
        drawn = [p for w in labels() for p in drawn_at(w)]
        assert drawn and off_pixel(drawn) == []


def test_a_clipped_scroll_view_moves_its_labels_by_whole_pixels(driver: Driver) -> None:
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.floatlayout import FloatLayout
    from kivy.uix.label import Label

    from ui.widgets import ClipScrollView

    root = FloatLayout()
    # A view at a fraction of a pixel, of a fractional height, scrolled part way: Kivy moves
    # its content by (0.3, 40.7 - 0.37 × (content - view)), a fraction of a pixel.
    view = ClipScrollView(size_hint=(None, None), size=(400.5, 300.7), pos=(100.3, 40.7))
    box = BoxLayout(orientation="vertical", size_hint_y=None, height=30 * 41)
    rows = [Label(text=f"第 {i} 行", size_hint_y=None, height=30) for i in range(41)]
    for row in rows:
        box.add_widget(row)
    view.add_widget(box)
    root.add_widget(view)
    driver.mount(root, (800, 600))
    view.scroll_y = 0.37
    driver.until(lambda: all(r.texture is not None for r in rows), what="rows drawn")
    driver.pump(0.2)
    tx, ty = view.g_translate.xy
    assert (tx, ty) == (round(tx), round(ty))
    seen = [r for r in rows if view.y <= r.to_window(r.x, r.y)[1] <= view.top]
    assert seen
    assert off_pixel([p for r in seen for p in drawn_at(r)]) == []
    # Touches follow the drawing: the middle of a row seen is that row.
    middle = seen[len(seen) // 2]
    x, y = middle.to_window(*middle.center)
    assert middle.collide_point(*view.to_local(x, y))


def test_a_passage_line_is_textured_as_wide_as_its_text_at_the_same_pixels(
    driver: Driver, tmp_path: Any
) -> None:
    """Its texture was as wide as the panel (text_size) and centred, mostly empty, drawn on
    every frame for each of thirty lines; now only its text, drawn where the text was."""
    import numpy as np
    from kivy.uix.floatlayout import FloatLayout
    from kivy.uix.label import Label
    from PIL import Image

    from tests.ui.passages_vm import PassagesVM
    from ui.app import save_png
    from ui.screens.officer_passages import MARGIN, PassageLines

    lines = PassageLines(PassagesVM())  # type: ignore[arg-type]
    root = FloatLayout()
    lines.view.size_hint = (None, None)
    lines.view.size, lines.view.pos = (1000, 200), (100, 50)
    root.add_widget(lines.view)
    driver.mount(root, (1200, 300))
    text = "05:49:17  拒绝  —  3号楼3单元  门卡 (未登记的凭证)"
    lines.vm.passage_line = lambda e: text
    lines.vm.passages.append({"n": 1})
    lines.refresh()
    line = lines.box.children[0]
    driver.until(lambda: line.texture is not None and line.text == text, what="line drawn")
    driver.pump(0.2)
    assert line.texture.width < (line.width - MARGIN) / 2  # the text's width, not the panel's
    save_png(root, str(tmp_path / "now.png"))
    # The same line as a label given the panel's width drew (texture centred in the line).
    wide = Label(text=text, font_size=line.font_size, halign="left", valign="top")
    wide.text_size = (line.width - MARGIN, None)
    wide.size_hint = (None, None)
    wide.size = line.size
    wide.pos = line.to_window(*line.pos)
    lines.view.opacity = 0
    root.add_widget(wide)
    driver.until(lambda: wide.texture is not None, what="wide label drawn")
    driver.pump(0.2)
    assert wide.texture.width == line.width - MARGIN
    save_png(root, str(tmp_path / "wide.png"))
    now = np.asarray(Image.open(tmp_path / "now.png").convert("RGB"), dtype=int)
    was = np.asarray(Image.open(tmp_path / "wide.png").convert("RGB"), dtype=int)
    assert (was.max(axis=2) > 100).sum() > 500  # the text is there
    assert (np.abs(now - was).max(axis=2) > 0).sum() == 0
