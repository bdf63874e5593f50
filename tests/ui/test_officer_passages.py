"""The wall's live passage lines and its cheaply clipped scroll view, in a real window.

The viewmodel is a small stand-in (a unit test of the screen part): the lines it gives are
what the screen shows, newest on top; a new passage takes the label of the line that left and
keeps the others."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import Driver
from tests.ui.passages_vm import PassagesVM


def shown(lines: Any) -> list[str]:
    """The lines' texts top to bottom, as the window shows them."""
    labels = sorted(lines.box.children, key=lambda w: -w.to_window(w.x, w.y)[1])
    assert labels == lines.labels(), "the labels in the order the lines are kept"
    return [w.text for w in labels]


def test_new_passage_takes_the_label_of_the_line_gone_and_keeps_the_rest(driver: Driver) -> None:
    from kivy.uix.boxlayout import BoxLayout

    from ui.screens.officer_passages import PassageLines

    vm = PassagesVM()
    lines = PassageLines(vm)  # type: ignore[arg-type]
    root = BoxLayout()
    root.add_widget(lines.view)
    driver.mount(root, (600, 200))
    lines.refresh()
    assert shown(lines) == ["none yet"]
    for n in range(5):
        vm.passages.append({"n": n})
    lines.refresh()
    assert shown(lines) == [f"passage {n} en" for n in (4, 3, 2, 1, 0)]
    before = {w.text: w for w in lines.box.children}
    at = {w.text: (w.y, w.to_window(w.x, w.y)[1]) for w in lines.box.children}
    made = vm.lines_made
    vm.passages.append({"n": 5})  # the oldest (0) leaves the deque
    lines.refresh()
    step = lines.line_h + 2
    for n in (4, 3, 2, 1):  # not moved in their strip; shown a line lower with it
        w = before[f"passage {n} en"]
        assert (w.y, w.to_window(w.x, w.y)[1]) == (at[w.text][0], at[w.text][1] - step)
    assert shown(lines) == [f"passage {n} en" for n in (5, 4, 3, 2, 1)]
    assert vm.lines_made == made + 1  # only the new passage was worded
    for w in lines.box.children:
        if w.text != "passage 5 en":
            assert before[w.text] is w  # the same label, moved down, not made again
    # The label of the line gone (0) now holds the new one, on top: no label was made.
    assert lines.labels()[0] is before["passage 0 en"]
    labels = set(lines.box.children)
    assert len(labels) == 5
    vm.t.lang = "zh"
    lines.refresh()
    assert shown(lines) == [f"passage {n} zh" for n in (5, 4, 3, 2, 1)]
    assert set(lines.box.children) == labels, "every line worded again in the same labels"


def test_rows_scrolled_out_of_sight_are_not_drawn_until_they_come_back(driver: Driver) -> None:
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.label import Label

    from ui.widgets import ClipScrollView

    view = ClipScrollView(do_scroll_x=False)
    box = BoxLayout(orientation="vertical", size_hint_y=None, height=40 * 30)
    rows = [Label(text=f"row {i}", size_hint_y=None, height=40) for i in range(30)]
    for row in rows:
        box.add_widget(row)
    view.add_widget(box)
    root = BoxLayout()
    root.add_widget(view)
    driver.mount(root, (400, 200))
    driver.pump(0.3)

    def drawn() -> set[str]:
        return {r.text for r in rows if r.canvas in box.canvas.children}

    driver.until(lambda: "row 0" in drawn() and "row 29" not in drawn(), what="top rows drawn")
    assert len(drawn()) <= 7  # 200 px of 40 px rows (one partly seen at each edge)
    assert all(r.parent is box for r in rows)  # still in the tree: layout and touch see them
    view.scroll_y = 0
    driver.until(lambda: "row 29" in drawn() and "row 0" not in drawn(), what="bottom drawn")
    box.clear_widgets()  # detached canvases leave with their widgets without complaint
    assert not box.children


def test_two_passages_that_read_the_same_are_two_lines(driver: Driver) -> None:
    """The same card at the same door in the same second reads the same twice: each is a line
    of its own (one label for both was added to the box twice, and the wall stopped)."""
    from kivy.uix.boxlayout import BoxLayout

    from ui.screens.officer_passages import PassageLines

    vm = PassagesVM()
    lines = PassageLines(vm)  # type: ignore[arg-type]
    root = BoxLayout()
    root.add_widget(lines.view)
    driver.mount(root, (600, 200))
    for n in (1, 2, 2):
        vm.passages.append({"n": n})
        lines.refresh()
    assert shown(lines) == ["passage 2 en", "passage 2 en", "passage 1 en"]
    assert len(set(lines.box.children)) == 3
    for n in (2, 3, 2):  # repeats leave and come back
        vm.passages.append({"n": n})
        lines.refresh()
        assert shown(lines) == [f"passage {e['n']} en" for e in reversed(vm.passages)]
    assert len(set(lines.box.children)) == len(vm.passages) == 5
