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


def test_a_card_added_does_not_move_the_tiles_made_before(driver: Driver) -> None:
    """Cards come above the box's bottom, so each card added moves the ones made before it; their
    tiles keep their place in the card (laying 189 tiles out again each step held the UI thread
    for 0.15 s a step)."""
    from kivy.clock import Clock

    with wall_window(driver) as (root, vm, _gw):
        first: Any = None
        moves: list[tuple[float, float]] = []
        cards_then: list[int] = []

        def watch(_dt: Any) -> None:
            nonlocal first
            tiles = root.tile_views()
            if first is None and tiles:
                first = next(iter(tiles.values()))
                first.bind(pos=lambda _w, pos: moves.append(tuple(pos)))
                cards_then.append(len(root.door_area.cards))

        every_frame = Clock.schedule_interval(watch, 0)
        try:
            vm.load()
            want = len(xian_doors())
            driver.until(lambda: len(root.tile_views()) == want, what="every tile")
            driver.pump(0.2)  # the last cards laid out
        finally:
            every_frame.cancel()
        assert len(root.door_area.cards) > cards_then[0] + 10, "many cards came after"
        # At most its one placing in the grid (when it came with its card), never after.
        assert len(moves) <= 1, moves
        card = root.door_area.cards[vm.door_groups()[0].key]
        _cx, cy = card.to_window(*card.pos)
        _tx, ty = first.to_window(*first.pos)
        assert cy < ty and ty + first.height < cy + card.height, "drawn inside its card"


def test_the_heap_is_frozen_once_every_card_is_made(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's heap is frozen once the wall has loaded (later collections walk only what came
    after); cards made after the freeze would be walked by every collection again."""
    import ui.screens.officer as officer_screen
    import ui.screens.officer_doors as officer_doors
    from tests.ui.officer_wall import alarm

    monkeypatch.setattr(officer_doors, "TILES_A_FRAME", 1)  # a card a frame: well over 1 s
    tiles_when_frozen: list[int] = []
    monkeypatch.setattr(
        officer_screen, "freeze_heap", lambda: tiles_when_frozen.append(len(root.tile_views()))
    )
    items = [alarm(i, "door.forced", 1000.0 + i, door=f"b{i}-e1") for i in range(1, 4)]
    api = {"alarm.page": lambda _p: {"items": items, "total": len(items), "counts": {}}}
    with wall_window(driver, api) as (root, vm, _gw):
        vm.load()
        driver.until(lambda: bool(tiles_when_frozen), timeout=60, what="the heap frozen")
        assert tiles_when_frozen == [len(xian_doors())]
