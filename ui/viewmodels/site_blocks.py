"""The wall's map before the property office has uploaded a plan: a block layout generated from
the doors themselves. Each building is a block on a grid, in the door tiles' order (gates and
garages first, then buildings by number), its doors inside it; positions are fractions of a
virtual plan from its top left, as for a real plan, so the same markers and taps serve both."""

from __future__ import annotations

import math
from dataclasses import dataclass

ASPECT = 1.6  # the virtual plan's width over its height (the map's frame on the wall)
PAD = 0.14  # of a cell, left free around its block (the roads)
TITLE = 0.34  # of a block's height, its name at the top; the doors below


@dataclass(frozen=True)
class Block:
    key: str  # the building's key ("12"; "site": the gates and garages)
    x: float  # left, top, width and height as fractions of the plan
    y: float
    w: float
    h: float


def block_layout(
    groups: list[tuple[str, list[str]]], aspect: float = ASPECT
) -> tuple[list[Block], dict[str, tuple[float, float]]]:
    """Blocks for ``groups`` (key, door ids), in order, row by row, and each door's place."""
    n = len(groups)
    if n == 0:
        return [], {}
    cols = max(1, min(n, math.ceil(math.sqrt(n * aspect))))
    rows = math.ceil(n / cols)
    cw, ch = 1 / cols, 1 / rows
    blocks: list[Block] = []
    spots: dict[str, tuple[float, float]] = {}
    for i, (key, doors) in enumerate(groups):
        r, c = divmod(i, cols)
        b = Block(key, c * cw + cw * PAD / 2, r * ch + ch * PAD / 2, cw * (1 - PAD), ch * (1 - PAD))
        blocks.append(b)
        if not doors:
            continue
        # The doors on a small grid in the block's lower part, as square as the room allows.
        room_w, room_h = b.w, b.h * (1 - TITLE)
        k = max(1, min(len(doors), math.ceil(math.sqrt(len(doors) * room_w * aspect / room_h))))
        lines = math.ceil(len(doors) / k)
        for j, door in enumerate(doors):
            line, col = divmod(j, k)
            spots[door] = (
                b.x + room_w * (col + 0.5) / k,
                b.y + b.h * TITLE + room_h * (line + 0.5) / lines,
            )
    return blocks, spots
