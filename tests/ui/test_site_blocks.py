"""The generated block layout of the wall's map: one block per building in the tiles' order,
none overlapping, every door inside its own building's block and apart from its neighbours."""

from __future__ import annotations

from ui.viewmodels.site_blocks import block_layout


def test_every_door_sits_inside_its_buildings_block() -> None:
    groups = [("site", [f"gate-{i}" for i in range(7)])]
    groups += [(str(b), [f"b{b}-e{e}" for e in range(1, 4)]) for b in range(1, 63)]
    blocks, spots = block_layout(groups)
    assert [b.key for b in blocks] == [k for k, _ in groups]
    assert len(spots) == 7 + 62 * 3
    for b, (_, doors) in zip(blocks, groups, strict=True):
        assert 0 <= b.x and b.x + b.w <= 1 and 0 <= b.y and b.y + b.h <= 1
        for d in doors:
            x, y = spots[d]
            assert b.x < x < b.x + b.w and b.y < y < b.y + b.h, d
        xs = sorted(spots[d] for d in doors)
        assert len(set(xs)) == len(xs), "two doors of a block on one spot"
    for i, a in enumerate(blocks):
        for b in blocks[i + 1 :]:
            assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
    assert block_layout([]) == ([], {})
