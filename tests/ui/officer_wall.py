"""The officer wall for a test: in a real window (1920×1080, the station "wall", on the site's
broker, loaded), or its view model on an in-process gateway with the doors of a compound of the
real size; and the alarms and call messages the core sends it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from compound.domain.clock import ManualClock
from tests.ui.conftest import WALL_SIZE, Driver, Site, gateway, on_screen
from tests.ui.fake_doors import door_api
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.officer import OfficerVM


@contextmanager
def on_wall(site: Site, driver: Driver, strings: Strings) -> Iterator[Any]:
    """The wall station's built screen once it has the doors (b3-e2 among them) and the site,
    for a ``with`` block; after it, the pop-ups it left are closed and its gateway (client id
    ``ui-officer-test``) is stopped."""
    gw = gateway(site, "officer")
    with on_screen(driver, gw, "officer", WALL_SIZE, strings, station="wall") as built:
        driver.until(lambda: "b3-e2" in built.vm.doors and built.vm.site, what="wall loaded")
        yield built


@contextmanager
def wall_window(
    driver: Driver, api: dict[str, Any] | None = None, clock: ManualClock | None = None
) -> Iterator[tuple[Any, OfficerVM, LocalGateway]]:
    """The wall's screen (in Chinese) in a real window on an in-process gateway serving
    ``xian_doors`` (and ``api``'s methods besides), mounted and not loaded yet, for a ``with``
    block: (screen, view model, gateway); stopped after it."""
    from ui.app import build_role

    gw = LocalGateway({**door_api(xian_doors()), **(api or {})})
    built = build_role("officer", gw, Strings("zh"), clock or ManualClock(), station="wall")
    driver.mount(built.root, WALL_SIZE)
    try:
        yield built.root, built.vm, gw
    finally:
        built.root.stop()


def xian_doors() -> list[dict[str, Any]]:
    """Doors as the core lists them: buildings 1-62 with entrances, gates and garages."""
    doors = [
        {
            "id": f"b{b}-e{e}",
            "name": f"Building {b} entrance {e} {b}号楼{e}单元",
            "serves": [f"{b}-{e}"],
        }
        for b in range(62, 0, -1)
        for e in (3, 1, 2)
    ]
    doors += [
        {"id": "gate-south", "name": "South gate 南门 (main)", "serves": ["*"]},
        {"id": "garage-10", "name": "Garage 10 地库10号口", "serves": ["*"]},
        {"id": "garage-2", "name": "Garage 2 地库2号口", "serves": ["*"]},
    ]
    return doors


def wall(
    clock: ManualClock, api: dict[str, Any] | None = None, lang: str = "en"
) -> tuple[OfficerVM, LocalGateway]:
    """The wall's view model, loaded, on an in-process gateway serving ``xian_doors`` (and
    ``api``'s methods besides)."""
    gw = LocalGateway({**door_api(xian_doors()), **(api or {})})
    vm = OfficerVM(gw, Strings(lang), clock)
    vm.load()
    return vm, gw


def alarm(i: int, kind: str, at: float, severity: str = "high", door: str | None = None) -> dict:
    """An alarm as the core lists it."""
    return {
        "id": i,
        "kind": kind,
        "severity": severity,
        "raised_at": at,
        "door_id": door,
        "message": f"{door}: {kind}",
    }


def ring(gw: Any, call_id: str, door: str = "b6-e1", emergency: bool = True, at: float = 0) -> None:
    """The core rings the officer's station (``gw``: a ``LocalGateway``)."""
    gw.deliver(
        "intercom/unit/officer/ring",
        {"call_id": call_id, "door": door, "unit": "officer", "emergency": emergency, "at": at},
    )


def state(gw: Any, call_id: str, st: str, door: str = "b6-e1", **kw: Any) -> None:
    """The core's word on a call's state."""
    gw.deliver(f"intercom/{door}/call/{call_id}/state", {"call_id": call_id, "state": st, **kw})


def add_doors(site: Site) -> None:
    """Buildings 4 to 60 with two entrances each, and some garages: 120 more doors."""
    for b in range(4, 61):
        for e in (1, 2):
            site.store.add_door(
                f"b{b}-e{e}", f"Building {b} entrance {e} {b}号楼{e}单元", [f"{b}-{e}"]
            )
    for g in range(1, 7):
        site.store.add_door(f"garage-{g}", f"Garage {g} 地库{g}号口", ["*"])


def block_rows(panel: Any) -> list[str]:
    """The rows drawn in a list's block (its text label, cut to the lines that fit)."""
    from ui.text_fit import fit_lines

    label = panel.children[0]
    return [x for x in fit_lines(label.text, label.height, label.font_size).split("\n") if x]
