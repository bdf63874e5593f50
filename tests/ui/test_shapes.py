"""Circles and rectangles as one mesh: every vertex where the shape has it, every triangle
inside its own shape, and a mesh never past Kivy's index limit."""

from __future__ import annotations

import math

import pytest

from ui.shapes import MAX_VERTICES, boxes, discs


def test_discs_are_fans_of_triangles_around_their_centres() -> None:
    vertices, indices = discs([(10.0, 20.0, 5.0), (100.0, 50.0, 2.0)], segments=8)
    points = [(vertices[i], vertices[i + 1]) for i in range(0, len(vertices), 4)]
    assert len(points) == 2 * 9 and len(indices) == 2 * 8 * 3
    assert points[0] == (10.0, 20.0) and points[9] == (100.0, 50.0)
    for centre, first, r in ((0, 1, 5.0), (9, 10, 2.0)):
        cx, cy = points[centre]
        for p in points[first : first + 8]:
            assert math.dist(p, (cx, cy)) == pytest.approx(r)
    # Each triangle joins its own disc's centre to two neighbours on its own rim.
    for t in range(0, len(indices), 3):
        a, b, c = indices[t : t + 3]
        disc = 0 if a < 9 else 1
        assert a == 9 * disc and {b // 9, c // 9} == {disc} and b != c != a


def test_boxes_cover_their_rectangles_with_two_triangles() -> None:
    vertices, indices = boxes([(0, 0, 4, 2), (10, 10, 1, 1)])
    points = [(vertices[i], vertices[i + 1]) for i in range(0, len(vertices), 4)]
    assert points[:4] == [(0, 0), (4, 0), (4, 2), (0, 2)]
    assert points[4:] == [(10, 10), (11, 10), (11, 11), (10, 11)]
    assert indices == [0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7]


def test_a_mesh_past_the_index_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="vertices in one mesh"):
        discs([(0.0, 0.0, 1.0)] * (MAX_VERTICES // 21 + 1), segments=20)
