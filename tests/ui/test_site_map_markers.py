"""The site map's marker meshes after any run of changes draw what one drawing from scratch
would: every door's halo and disc once, in its state's colour and its layer, nothing else (a
slot given up is folded to a point), and a mesh whose slots are mostly free is packed again.
Read from the Kivy meshes themselves (the vertices GL is given), in a real window's GL context.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

pytestmark = [pytest.mark.ui]

SIZE = (1000.0, 600.0)


Disc = tuple[str, tuple[float, ...], float, float, float]  # layer, colour, x, y, radius


def drawn(meshes: Any) -> set[Disc]:
    """Every disc the meshes draw: its layer, its colour, its centre and radius."""
    out = set()
    for layer in meshes.layers:
        for slots in layer.meshes():
            v, n = slots.mesh.vertices, slots.width
            assert len(v) % n == 0 and len(slots.mesh.indices) == len(v) // n * slots.segments * 3
            rgba = tuple(round(c, 3) for c in slots.colour.rgba)
            for s in range(len(v) // n):
                x, y, rim_x = v[s * n], v[s * n + 1], v[s * n + 4]
                if (x, y, rim_x) != (0.0, 0.0, 0.0):  # a folded slot draws nothing
                    out.add((layer.name, rgba, round(x, 2), round(y, 2), round(rim_x - x, 2)))
    return out


def expected(markers: list[Any], k: float) -> set[Disc]:
    """What a drawing from scratch draws: each door's halo and disc in its layer."""
    from ui.screens.map_markers import HALO, STATE_COLOURS, URGENT, radius

    out = set()
    for m in markers:
        layer = "urgent" if m.state in URGENT else "other"
        x, y, r = round(m.x * SIZE[0], 2), round((1 - m.y) * SIZE[1], 2), radius(m, k)
        colour = tuple(round(c, 3) for c in STATE_COLOURS[m.state])
        out.add((layer, tuple(round(c, 3) for c in HALO), x, y, round(r + 2 * k, 2)))
        out.add((layer, colour, x, y, round(r, 2)))
    return out


def test_marker_meshes_after_many_changes_draw_what_a_fresh_drawing_would(
    kivy_window: Any,
) -> None:
    from kivy.graphics import Line

    from ui.screens.map_markers import SPARE, STATE_COLOURS, MarkerMeshes
    from ui.viewmodels.site_map import Marker

    rnd = random.Random(7)
    states = list(STATE_COLOURS)
    markers = [Marker(f"d{i}", rnd.random(), rnd.random(), "locked") for i in range(60)]
    meshes = MarkerMeshes()
    meshes.draw(markers, SIZE, 1.0, "")
    assert drawn(meshes) == expected(markers, 1.0) and meshes.rebuilds == 1
    for turn in range(40):
        for i in rnd.sample(range(len(markers)), 5):  # the states of five doors change
            m = markers[i]
            markers[i] = Marker(m.door, m.x, m.y, rnd.choice(states))
        if turn % 5 == 0:  # a door gone, another come, one moved
            markers.pop(rnd.randrange(len(markers)))
            markers.append(Marker(f"new{turn}", rnd.random(), rnd.random(), "unknown"))
            m = markers[0]
            markers[0] = Marker(m.door, rnd.random(), rnd.random(), m.state)
        meshes.draw(markers, SIZE, 1.0, "")
        assert drawn(meshes) == expected(markers, 1.0), f"turn {turn}"
    assert meshes.rebuilds == 1, "no door's change drew every marker again"
    for layer in meshes.layers:
        for slots in layer.meshes():
            assert len(slots.free) <= max(len(slots.slots), SPARE), "packed when mostly free"
    # Every door locked, then every door offline: the locked doors' mesh, its slots all given
    # up, is packed to nothing.
    for state in ("locked", "offline"):
        markers = [Marker(m.door, m.x, m.y, state) for m in markers]
        meshes.draw(markers, SIZE, 1.0, "")
        assert drawn(meshes) == expected(markers, 1.0)
    locked = meshes.layers[0].colours[STATE_COLOURS["locked"]]
    assert not locked.slots and not locked.free and not locked.mesh.vertices
    # A zoom draws every marker again, at its new size.
    meshes.draw(markers, SIZE, 0.5, "")
    assert meshes.rebuilds == 2 and drawn(meshes) == expected(markers, 0.5)
    # The door touched gets a ring; a door touched that is not shown, none.
    meshes.draw(markers, SIZE, 0.5, markers[3].door)
    assert [c for c in meshes.ring.children if isinstance(c, Line)]
    meshes.draw(markers, SIZE, 0.5, "nowhere")
    assert not [c for c in meshes.ring.children if isinstance(c, Line)]
