"""The wall draws no pixels it does not need (software GL blends every drawn pixel on every
frame): a panel is framed, not filled; a panel's text texture is as tall as its text and drawn
at its top; an alarm row that is not an emergency has no background area."""

from __future__ import annotations

from typing import Any

from tests.ui.screen_text import overflow, shows
from ui.text_fit import LINE


def filled_areas(group: Any) -> list[float]:
    from kivy.graphics import BorderImage, Rectangle, RoundedRectangle

    return [
        i.size[0] * i.size[1]
        for i in group.children
        if isinstance(i, (Rectangle, RoundedRectangle, BorderImage))
    ]


def test_a_panel_is_framed_and_its_text_texture_is_as_tall_as_its_text(driver: Any) -> None:
    from kivy.graphics import Rectangle
    from kivy.uix.floatlayout import FloatLayout

    from ui.widgets import Panel, TopLabel

    root = FloatLayout()
    short = Panel(title="独居老人未出现", text="无", size_hint=(None, None), size=(600, 300))
    long_text = "\n".join(f"{i:02d}:00 通过 12号楼2单元 门卡" for i in range(60))
    full = Panel(title="实时通行", text=long_text, size_hint=(None, None), size=(600, 300))
    full.pos = (700, 0)
    root.add_widget(short)
    root.add_widget(full)
    driver.mount(root, (1400, 400))
    body = short.children[0]
    assert isinstance(body, TopLabel)
    driver.until(lambda: body.texture is not None and body.height > 200, what="panel laid out")
    assert filled_areas(short.canvas.before) == []  # a frame line, no filled card
    # "无": one line of texture, not the panel's whole body.
    assert body.texture_size[1] <= 2 * body.font_size * LINE
    drawn = [i for i in body.canvas.children if isinstance(i, Rectangle) and shows(i.texture, body)]
    assert drawn and int(drawn[0].pos[1] + drawn[0].size[1]) == int(body.top)  # at its top
    # A long list: cut to the lines that fit, and its texture stays inside its block.
    lines = full.children[0]
    driver.until(lambda: lines.texture is not None and lines.height > 200, what="list laid out")
    assert 1 < len(lines.text.split("\n")) < 60
    assert lines.texture_size[1] <= lines.height
    # A title longer than the panel is wide wraps, and the title grows to hold it.
    title = full.children[1]
    full.title = "Passage search · 20 / 24 people, 54 passages · tap for the next page " * 2
    driver.until(lambda: title.height > 40, what="the title on two lines or more")
    assert overflow(title) is None and title.height >= title.texture_size[1]


def test_an_alarm_row_has_a_background_only_as_an_emergency(driver: Any) -> None:
    from kivy.uix.boxlayout import BoxLayout

    import ui.screens.officer  # noqa: F401 - loads the wall's rules (officer.kv)
    from ui.screens.officer_alarms import AlarmRow

    box = BoxLayout(orientation="vertical")
    plain = AlarmRow(text="02:39:53  [高]  强行开门  12号楼2单元", severity="high", ack_text="确认")
    urgent = AlarmRow(text="02:40:01  [紧急]  紧急呼叫", emergency=True, ack_text="确认")
    box.add_widget(plain)
    box.add_widget(urgent)
    driver.mount(box, (800, 300))
    driver.until(lambda: urgent.width > 100, what="rows laid out")
    assert [a for a in filled_areas(plain.canvas.before) if a > 0] == []
    assert max(filled_areas(urgent.canvas.before)) >= urgent.width * urgent.height * 0.99
