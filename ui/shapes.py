"""Many filled circles or rectangles of one colour as one triangle mesh: one draw for all.

Kivy issues one GL draw per ``Ellipse`` or ``Rectangle``, and Mesa's software rasteriser (the
box has no GPU) spends tens of microseconds on each draw whatever its size: the site map's 156
door markers, each a dark halo and a coloured disc, were 312 draws a frame. Grouped by colour
they are a handful. The vertices are Kivy's default format (x, y, u, v); the texture
coordinates are unused (the shapes are drawn in their ``Color``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

Mesh = tuple[list[float], list[int]]  # vertices (x, y, u, v, ...) and triangle indices
MAX_VERTICES = 65535  # a Kivy mesh's indices are unsigned shorts


def ring(segments: int) -> list[tuple[float, float]]:
    """A unit circle's rim in ``segments`` points, for ``disc``."""
    return [
        (math.cos(2 * math.pi * k / segments), math.sin(2 * math.pi * k / segments))
        for k in range(segments)
    ]


def disc(x: float, y: float, r: float, rim: list[tuple[float, float]]) -> list[float]:
    """One filled circle's vertices: its centre, then ``rim`` (``ring``) scaled and moved."""
    vertices = [x, y, 0.0, 0.0]
    for c, s in rim:
        vertices += [x + r * c, y + r * s, 0.0, 0.0]
    return vertices


def fan(base: int, segments: int) -> list[int]:
    """The triangles of a disc whose centre is vertex ``base`` and its rim the ones after."""
    indices: list[int] = []
    for k in range(segments):
        indices += [base, base + 1 + k, base + 1 + (k + 1) % segments]
    return indices


def discs(circles: Iterable[tuple[float, float, float]], segments: int) -> Mesh:
    """Filled circles (x, y, radius), each a fan of ``segments`` triangles around its centre:
    the shape Kivy's ``Ellipse(segments=...)`` draws."""
    rim = ring(segments)
    vertices: list[float] = []
    indices: list[int] = []
    for x, y, r in circles:
        base = len(vertices) // 4
        if base + segments + 1 > MAX_VERTICES:
            raise ValueError(f"more than {MAX_VERTICES} vertices in one mesh")
        vertices += disc(x, y, r, rim)
        indices += fan(base, segments)
    return vertices, indices


def boxes(rects: Iterable[tuple[float, float, float, float]]) -> Mesh:
    """Filled rectangles (x, y, width, height), two triangles each."""
    vertices: list[float] = []
    indices: list[int] = []
    for x, y, w, h in rects:
        base = len(vertices) // 4
        vertices += [x, y, 0.0, 0.0, x + w, y, 0.0, 0.0, x + w, y + h, 0.0, 0.0, x, y + h, 0.0, 0.0]
        indices += [base, base + 1, base + 2, base, base + 2, base + 3]
    return vertices, indices
