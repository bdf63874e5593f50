"""A language switch on the wall words its door cards and tiles again in the same widgets: the
156 tiles of a compound of the real size are not made again (that held the UI thread for
0.6-1 s), and no card keeps a title in the other language."""

from __future__ import annotations

import pytest

from tests.ui.conftest import Driver
from tests.ui.officer_wall import wall_window, xian_doors
from ui.i18n import Strings

pytestmark = [pytest.mark.ui]


def test_a_language_switch_words_the_same_tiles_again(driver: Driver) -> None:
    with wall_window(driver) as (root, vm, _gw):
        vm.load()
        driver.until(lambda: len(root.tile_views()) == len(xian_doors()), what="every tile")
        area = root.door_area
        tiles = root.tile_views()
        cards = dict(area.cards)
        assert cards["3"].title == "3号楼" and tiles["b3-e2"].label == "2单元"

        def side() -> list[str]:
            return [w.text for w in root.ids.abnormal.children]

        assert side() == [Strings("zh")("officer.none")], "no door abnormal"
        vm.t.toggle()
        driver.until(lambda: cards["3"].title == "Building 3", what="the titles in English")
        assert side() == [Strings("en")("officer.none")], "said in English"
        assert root.tile_views() == tiles
        assert all(root.tile_views()[d] is tiles[d] for d in tiles), "the same tiles"
        assert area.cards == cards
        assert tiles["b3-e2"].label == "Entrance 2"
        english = Strings("en")
        assert all(c.title == vm.group_title(k) for k, c in cards.items())
        assert cards["3"].title == english("officer.building", n="3")
