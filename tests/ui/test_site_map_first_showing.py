"""The wall's site map shown for the first time on a compound of the real size (the xian doors,
a generated block layout), counted frame by frame in a real window: the markers are drawn at
most once a frame, the labels' textures are made at most ``A_FRAME`` a frame over several
frames, a marker tapped while the labels are still coming names its door, and in the end
every label placed is written on the plan."""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest

from tests.ui.conftest import Driver
from tests.ui.officer_wall import wall_window, xian_doors

pytestmark = [pytest.mark.ui]


def site_plan(with_image: bool) -> dict[str, Any]:
    """``siteplan.get`` answering no plan (the wall draws blocks), or the sample compound's
    drawn plan with its doors placed on it."""
    if not with_image:
        return {"siteplan.get": lambda _p: {"plan": None, "doors": {}}}
    from devkit.xian_screens import plan_for

    jpeg, spots = plan_for([d["id"] for d in xian_doors()])
    answer = {
        "plan": {"version": 1},
        "doors": {d: list(xy) for d, xy in spots.items()},
        "image": base64.b64encode(jpeg).decode(),
    }
    return {"siteplan.get": lambda _p: answer}


@pytest.mark.parametrize("with_image", [False, True], ids=["blocks", "plan"])
def test_the_first_showing_of_the_map_is_spread_over_frames(
    driver: Driver, with_image: bool
) -> None:
    from kivy.graphics import Rectangle
    from kivy.tests.common import UnitTestTouch

    from ui.screens.plan_texts import A_FRAME

    api = site_plan(with_image)
    doors = len(xian_doors())
    with wall_window(driver, api) as (root, vm, gw):
        vm.load()
        driver.until(lambda: len(root.tile_views()) == doors, what="every tile")
        want = len(gw.api["siteplan.get"]({})["doors"]) if with_image else doors
        seen: list[tuple[int, int]] = []  # (markers drawn, label textures made) after a frame
        tapped: list[str] = []

        def count(*_: Any) -> None:  # once a frame drawn, after its drawing
            view = root.views.get("map")
            if view is None:
                return
            plan = view.plan
            seen.append((plan.draws, plan.texts.made))
            if not tapped and len(plan.markers) == want and plan.blocks and not plan.drawn:
                # A finger on a marker of the block layout while its labels are still coming.
                door = plan.markers[len(plan.markers) // 2]
                touch = UnitTestTouch(*plan.point_of(door.x, door.y))
                touch.touch_down()
                touch.touch_up()
                tapped.append(door.door)

        driver.window.bind(on_flip=count)
        try:
            driver.tap(root.ids.view_map)
            view: Any = root.views["map"]
            plan = view.plan
            driver.until(
                lambda: (
                    len(plan.markers) == want
                    and plan.placed
                    and plan.drawn
                    and plan.has_image == with_image
                ),
                what="the map drawn in full",
            )
            count()  # and after the last frame
        finally:
            driver.window.unbind(on_flip=count)
        steps = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(seen, seen[1:], strict=False)]
        assert max(d for d, _m in steps) <= 1, f"markers drawn more than once a frame: {steps}"
        assert max(m for _d, m in steps) <= A_FRAME, steps
        made = seen[-1][1] - seen[0][1]
        assert made >= len(plan.placed), "a texture for each label"
        frames_making = sum(1 for _d, m in steps if m)
        assert frames_making >= math.ceil(made / A_FRAME) >= 2, steps
        if not with_image:  # a tap while the labels were coming found its marker
            assert tapped, "the map was drawn whole in one frame"
            driver.until(lambda: vm.map.selected == tapped[0], what="the marker tapped")
            driver.until(lambda: plan.drawn and vm.door_name(tapped[0]) in view.info_label.text)
        # Everything placed is written: a texture drawn for each label and block name.
        shown = plan.texts.shown
        assert {(p.text, p.box) for p in plan.placed} <= {(t, box) for t, _s, box, _c in shown}
        blocks = 0 if with_image else len({g.key for g in vm.door_groups()})
        assert len(plan.blocks) == blocks
        drawn = [i for i in plan.texts.group.children if isinstance(i, Rectangle)]
        assert len(drawn) == len(shown) == len(plan.placed) + blocks
        assert all(r.texture is not None for r in drawn)
