"""The site plan in real Kivy windows under Xvfb, against the real core on a real Mosquitto:
the manager chooses a plan file by touch, uploads it and places a door by tapping the plan;
the officer wall shows the plan with the door markers in their states, a forced door larger
and red, and names a marker tapped. Without a plan the wall draws the buildings as blocks with
their doors inside."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from compound.domain.clock import SystemClock
from compound.protocol.messages import DoorEvent, encode
from tests.ui.conftest import WALL_SIZE, Driver, Site, gateway, not_blank, on_screen
from tests.ui.manager_console import on_console
from tests.ui.officer_wall import add_doors

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def block_plan(buildings: int = 62, w: int = 1600, h: int = 1000) -> tuple[bytes, dict]:
    """A plan drawing: rows of building blocks with their numbers, roads, a gate; and where
    each building's entrances are on it (fractions from the top left)."""
    img = Image.new("RGB", (w, h), (232, 228, 214))
    d = ImageDraw.Draw(img)
    cols = 11
    spots: dict[str, tuple[float, float]] = {}
    for b in range(1, buildings + 1):
        r, c = divmod(b - 1, cols)
        x0, y0 = 60 + c * 138, 60 + r * 150
        d.rectangle((x0, y0, x0 + 110, y0 + 90), fill=(190, 200, 215), outline=(90, 100, 120))
        d.text((x0 + 40, y0 + 35), str(b), fill=(20, 30, 50))
        for e in (1, 2):
            spots[f"b{b}-e{e}"] = ((x0 + 30 + (e - 1) * 50) / w, (y0 + 95) / h)
    d.rectangle((0, h - 40, w, h - 10), fill=(150, 150, 150))
    spots["gate"] = (0.5, (h - 25) / h)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue(), spots


def drag(driver: Driver, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A finger pressed at ``start``, slid to ``end`` in steps and lifted."""
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(*start)
    touch.touch_down()
    driver.pump(0.05)
    for k in range(1, 9):
        touch.touch_move(
            start[0] + (end[0] - start[0]) * k / 8, start[1] + (end[1] - start[1]) * k / 8
        )
        driver.pump(0.02)
    touch.touch_up()
    driver.pump(0.05)


def moved_to(site: Site, door: str, x: float, y: float) -> bool:
    row = site.store.one("SELECT x, y FROM door_positions WHERE door_id = ?", (door,))
    return row is not None and abs(row["x"] - x) < 0.01 and abs(row["y"] - y) < 0.01


def test_manager_uploads_a_plan_and_places_a_door_by_touch(
    site: Site, driver: Driver, tmp_path: Path
) -> None:
    from ui.i18n import Strings

    png, _ = block_plan(8)
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "site-plan.png").write_bytes(png)
    (tmp_path / "notes.txt").write_text("not a plan")
    with on_console(site, driver, Strings("en")) as built:
        root = built.root
        driver.tap(root.ids.tab_siteplan)
        tab = root.siteplan
        tab.chooser.open(tmp_path)
        driver.pump(0.1)
        assert str(tmp_path / "notes.txt") not in tab.chooser.buttons  # only plan files
        driver.tap(tab.chooser.buttons[str(tmp_path / "plans")])  # into the folder
        driver.tap(tab.chooser.buttons[str(tmp_path / "plans" / "site-plan.png")])
        driver.tap(tab.upload_button)
        driver.until(lambda: tab.plan.has_image, what="the plan drawn from the core's copy")
        assert site.store.one("SELECT version FROM site_plan")["version"] == 1
        # Pick Building 2 entrance 1 and tap where it stands: at 30 % across, 40 % down.
        tab.door.text = "Building 2 entrance 1"
        driver.pump(0.1)
        assert root.site_map.selected == "b2-e1"
        x, y = tab.plan.point_of(0.3, 0.4)
        driver.tap_at(x, y)
        driver.until(
            lambda: site.store.one("SELECT x, y FROM door_positions WHERE door_id = 'b2-e1'"),
            what="the position stored",
        )
        row = site.store.one("SELECT x, y, placed_by FROM door_positions")
        assert abs(row["x"] - 0.3) < 0.01 and abs(row["y"] - 0.4) < 0.01
        assert "placed" in tab.status.text and "1 of 4" in tab.status.text
        not_blank(driver.shot("manager_siteplan.png"))
        # A tap on the marker picks that door again; it can be taken off the plan.
        root.site_map.selected = ""
        driver.tap_at(x + 2, y - 2)
        assert root.site_map.selected == "b2-e1"
        # Dragged by its marker to where it really stands; the plan itself does not move.
        plan_pos = tuple(tab.plan.scatter.pos)
        drag(driver, (x, y), tab.plan.point_of(0.6, 0.7))
        driver.until(lambda: moved_to(site, "b2-e1", 0.6, 0.7), what="the door moved")
        assert tuple(tab.plan.scatter.pos) == plan_pos
        # A door not yet placed waits at the centre and is dragged where it stands.
        tab.door.text = "Building 1 entrance 1"
        driver.pump(0.1)
        assert any(m.door == "b1-e1" for m in tab.plan.markers)
        drag(driver, tab.plan.point_of(0.5, 0.5), tab.plan.point_of(0.2, 0.8))
        driver.until(lambda: moved_to(site, "b1-e1", 0.2, 0.8), what="the door placed")
        assert "2 of 4" in tab.status.text
        root.site_map.selected = "b2-e1"
        driver.tap(tab.unplace_button)
        driver.until(
            lambda: site.store.one("SELECT 1 FROM door_positions WHERE door_id = 'b2-e1'") is None,
            what="door removed",
        )


def upload_plan(site: Site, png: bytes, spots: dict[str, tuple[float, float]]) -> None:
    admin = site.bus("test-admin")
    admin.request("siteplan.upload", {"image": base64.b64encode(png).decode()}, timeout=30)
    for door, (x, y) in spots.items():
        if site.store.door(door) is not None:
            admin.request("siteplan.place", {"door": door, "x": x, "y": y}, timeout=30)


def test_the_wall_map_shows_door_states_on_the_plan_at_full_size(
    site: Site, driver: Driver
) -> None:
    from ui.i18n import Strings

    add_doors(site)
    with on_screen(driver, gateway(site, "officer"), "officer", WALL_SIZE, Strings("en")) as built:
        root, vm = built.root, built.vm
        want = len(site.store.doors())
        driver.until(lambda: len(vm.doors) == want, what="every door")
        driver.tap(root.ids.view_map)
        view: Any = root.views["map"]
        driver.until(lambda: vm.map.available, what="the core answered")
        # No plan yet: every door on a generated block layout, one block per building.
        driver.until(lambda: len(view.plan.markers) == want, what="generated layout")
        buildings = {g.key for g in vm.door_groups()}
        assert {b.key for b in view.plan.blocks} == buildings and len(buildings) >= 60
        assert view.plan.parent is not None and view.empty.parent is None
        assert "No site plan" in view.info_label.text and f"{want} doors" in view.title.text
        b12 = next(b for b in view.plan.blocks if b.key == "12")
        inside = [m for m in view.plan.markers if m.door in ("b12-e1", "b12-e2")]
        assert len(inside) == 2 and all(
            b12.x < m.x < b12.x + b12.w and b12.y < m.y < b12.y + b12.h for m in inside
        )
        x, y = view.plan.point_of(inside[0].x, inside[0].y)
        driver.tap_at(x, y)
        driver.until(lambda: "Building 12 entrance" in view.info_label.text, what="tapped")
        not_blank(driver.shot("officer_map_generated.png"))
        vm.map.selected = ""
        png, spots = block_plan(62)
        upload_plan(site, png, spots)
        # The wall hears siteplan.* events and asks again: the plan and 120+ markers appear.
        placed = sum(1 for d in spots if site.store.door(d) is not None)
        driver.until(lambda: view.plan.has_image, what="plan on the wall")
        driver.until(lambda: len(view.plan.markers) == placed, what="markers")
        assert placed >= 110 and f"{placed} of {want}" in view.title.text
        site.bus("test-door").publish(
            site.topics.door_event("b9-e2"),
            encode(DoorEvent("b9-e2", "forced_open", SystemClock().now())),
        )
        driver.until(
            lambda: any(m.door == "b9-e2" and m.state == "forced" for m in view.plan.markers),
            what="forced marker",
        )
        assert "1 door(s) need attention" in view.info_label.text
        # Drawn in its state's colour (the markers are a few meshes by colour, ui/shapes.py).
        from PIL import Image

        from ui.screens.map_markers import STATE_COLOURS

        driver.pump(0.2)
        picture = Image.open(driver.shot("officer_map_forced.png")).convert("RGB")
        mx, my = view.plan.point_of(*spots["b9-e2"])
        centre = picture.getpixel((int(mx), picture.height - 1 - int(my)))
        red = tuple(round(c * 255) for c in STATE_COLOURS["forced"][:3])
        assert max(abs(a - b) for a, b in zip(centre, red, strict=True)) <= 3, (centre, red)
        # The forced door pops up over the wall (an intrusion); closed, the map is the officer's.
        driver.until(lambda: root.urgent_view.popup is not None, what="the urgent pop-up")
        driver.tap(root.urgent_view.popup.ids.close)
        driver.until(lambda: root.urgent_view.popup is None, what="the pop-up closed")
        x, y = view.plan.point_of(*spots["b9-e2"])
        driver.tap_at(x, y)
        driver.until(lambda: "Building 9 entrance 2: forced" in view.info_label.text)
        # The alarm queue is still there beside the map, uncovered.
        assert root.ids.alarm_scroll.parent is not None
        not_blank(driver.shot("officer_map.png"))
        view.zoom_in.dispatch("on_release")
        driver.pump(0.2)
        assert view.plan.scatter.scale == pytest.approx(1.5)
        not_blank(driver.shot("officer_map_zoomed.png"))
        driver.tap(root.ids.lang)  # the header's buttons answer (a folded call strip once hid them)
        driver.until(lambda: "小区平面图" in view.title.text, what="zh")
        assert "被强行打开" in view.info_label.text
