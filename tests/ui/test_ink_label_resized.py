"""An InkLabel whose size changes without it moving draws its text where its new size puts it.

Kivy's ``top`` and ``center_y`` are cached aliases of ``y`` and ``height``: read from a ``size``
callback they can still hold the old height. A wall passage's label is made 100 px tall (Kivy's
default) and shrinks to its line when its text is drawn; the bottom line, already in its place,
never moved again, and its text stayed 80 px up, over another line (the demo wall's screenshot
showed two passages written over each other)."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import Driver
from tests.ui.passages_vm import PassagesVM


class NamesVM(PassagesVM):
    """Passages whose names are known only after their lines were first made."""

    def __init__(self) -> None:
        super().__init__("zh", keep=40)

    def line(self, e: dict[str, Any]) -> str:
        return f"12:42:58  通过  {self.person_name(e['person_id'])}  正门  门卡  {e['n']}"


def drawn_at(label: Any) -> tuple[int, int]:
    """Where the label's text rectangle is drawn (its bottom left)."""
    x, y = label._rect.pos
    return int(x), int(y)


def test_labels_shrunk_in_place_draw_their_text_at_their_new_top_and_centre(
    driver: Driver,
) -> None:
    from kivy.uix.floatlayout import FloatLayout

    from ui.ink import InkLabel
    from ui.widgets import TopLabel

    root = FloatLayout()
    top = TopLabel(text="通过 张伟", size_hint=(None, None), pos=(10, 10), size=(300, 100))
    mid = InkLabel(text="通过 张伟", size_hint=(None, None), pos=(10, 200), size=(300, 100))
    root.add_widget(top)
    root.add_widget(mid)
    driver.mount(root, (600, 400))
    driver.until(lambda: top.texture is not None and mid.texture is not None, what="textures")
    top.height = mid.height = 40  # smaller, bottom left where it was
    driver.pump(0.1)
    th = int(top.texture.size[1])
    assert drawn_at(top)[1] == 10 + 40 - th, "a top label's text at its new top"
    mh = int(mid.texture.size[1])
    assert drawn_at(mid)[1] == int(200 + 20 - mh / 2.0), "a centred label's text at its centre"


def test_wall_passages_named_before_the_first_frame_are_each_drawn_on_their_own_line(
    driver: Driver,
) -> None:
    from kivy.uix.boxlayout import BoxLayout

    from ui.screens.officer_passages import PassageLines

    vm = NamesVM()
    lines = PassageLines(vm)  # type: ignore[arg-type]
    root = BoxLayout()
    root.add_widget(lines.holder)
    driver.mount(root, (600, 500))
    lines.refresh()
    for n in range(14):
        vm.passages.append({"n": n, "person_id": n % 10})
    lines.refresh()  # lines with the people's numbers, not drawn yet
    vm.known = {i: f"名{i}" for i in range(10)}
    lines.refresh()  # the names came in the same frame: each label given its named line
    rows = lines.labels()
    driver.until(lambda: all(w.texture is not None and w.height < 50 for w in rows), what="lines")
    driver.pump(0.2)
    tops = [drawn_at(w)[1] + int(w.texture.size[1]) for w in rows]
    assert tops == [int(w.top) for w in rows], "each line's text at its label's top"
    assert tops == sorted(set(tops), reverse=True), "no line drawn over another"
