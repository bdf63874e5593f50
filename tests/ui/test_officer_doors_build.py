"""The wall makes the tiles of a compound of the real size a few a frame: counted frame by
frame in a real window, no frame makes more than ``TILES_A_FRAME`` tiles and a card's worth,
the tiles come over many frames, each painted as it comes, and all of them in display order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import Driver
from tests.ui.officer_wall import wall_window, xian_doors

pytestmark = [pytest.mark.ui]


def test_the_tiles_are_made_a_few_a_frame(driver: Driver) -> None:
    from kivy.clock import Clock

    from ui.screens.officer_doors import TILES_A_FRAME

    counts: list[int] = []
    with wall_window(driver) as (root, vm, _gw):

        def count(_dt: Any) -> None:  # once a frame, after the frame's other work
            counts.append(len(root.tile_views()))

        every_frame = Clock.schedule_interval(count, 0)
        try:
            vm.load()
            want = len(xian_doors())
            driver.until(lambda: counts and counts[-1] == want, what="every tile")
            biggest_card = max(len(g.tiles) for g in vm.door_groups())
            steps = [b - a for a, b in zip(counts, counts[1:], strict=False) if b != a]
            assert max(steps) < TILES_A_FRAME + biggest_card, steps
            assert len(steps) >= want // (TILES_A_FRAME + biggest_card), "over many frames"
            tiles = root.tile_views()
            assert list(tiles) == [t.id for g in vm.door_groups() for t in g.tiles]
            assert all(v.state_text and v.label for v in tiles.values()), "painted as it came"
        finally:
            every_frame.cancel()
