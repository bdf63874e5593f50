"""``compound ui``: run one touchscreen role, or render one of its screens to a PNG and exit."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from compound.domain.model import InvalidInput

if TYPE_CHECKING:
    from compound.app.context import Context

ROLES = ("door", "officer", "manager")
MAX_NOTICE_SPREAD_S = 300.0  # past this a new notice waits too long at some panels
SCREENS = {
    "door": ("main", "pin"),
    "officer": ("wall",),
    "manager": ("register", "credentials", "face", "import", "notices", "siteplan"),
}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    help_ = "run a touchscreen: door panel, officer wall display or manager console"
    sp = sub.add_parser("ui", help=help_, description=help_, parents=[common])
    sp.add_argument("--role", required=True, choices=ROLES)
    sp.add_argument(
        "--screen",
        help="which screen to open (door: main, pin; manager: register, "
        "credentials, face, import, notices, siteplan)",
    )
    sp.add_argument(
        "--screenshot",
        metavar="PATH",
        help="render the screen with the demo compound into PATH (PNG) and exit",
    )
    sp.add_argument(
        "--door",
        default=None,
        help="door id (door panel) or camera id (manager's enrolment camera)",
    )
    sp.add_argument(
        "--camera", default=None, help="camera whose preview the door panel shows (default: door)"
    )
    sp.add_argument(
        "--station",
        help="officer wall: its station id for answering calls (default: its broker user name,"
        " else 'wall'); register it with `compound station add ID officer`",
    )
    sp.add_argument(
        "--notice-spread",
        type=float,
        metavar="SECONDS",
        help="door panel: after the notices changed, ask for them at a random point within"
        " this many seconds, so that all panels do not ask the core at once (default 5;"
        " 0: at once)",
    )
    sp.add_argument("--lang", choices=("zh", "en"), default="zh")
    sp.add_argument("--fullscreen", action="store_true", help="kiosk mode")
    sp.add_argument("--broker-port", type=int, help="broker port (overrides the config)")
    sp.add_argument(
        "--broker-protocol",
        type=int,
        choices=(4, 5),
        help="MQTT protocol: 5, or 4 for the embedded demo broker",
    )
    sp.add_argument("--site", help="site id on the bus (overrides the config)")
    sp.set_defaults(fn=cmd_ui)


def cmd_ui(ctx: Context) -> int:
    a = ctx.args
    if a.screen and a.screen not in SCREENS[a.role]:
        raise InvalidInput(
            f"role {a.role} has no screen {a.screen!r}; choose {', '.join(SCREENS[a.role])}"
        )
    if a.screenshot and not a.screenshot.lower().endswith(".png"):
        raise InvalidInput("--screenshot must name a .png file")
    door = a.door or ("enrol" if a.role == "manager" else "b3-e2")
    spread = getattr(a, "notice_spread", None)
    if spread is not None and not 0 <= spread <= MAX_NOTICE_SPREAD_S:
        raise InvalidInput(f"--notice-spread must be 0 to {MAX_NOTICE_SPREAD_S:g} seconds")

    from ui import kivy_env
    from ui.kivy_env import ROLE_MAXFPS, ROLE_SIZES

    kivy_env.prepare(*ROLE_SIZES[a.role], fullscreen=a.fullscreen, maxfps=ROLE_MAXFPS[a.role])

    from compound.app.context import bus_config
    from ui.app import CompoundApp, ui_dispatch
    from ui.gateway import MqttGateway
    from ui.i18n import Strings
    from ui.viewmodels.officer_alarms import UrgentRule

    site = None
    try:
        if a.screenshot:
            from devkit.demo_site import DemoSite

            site = DemoSite(traffic=True, camera=a.camera or door).start()
            bcfg, topics = site.bus_config, site.topics
        else:
            from dataclasses import replace

            from compound.protocol.topics import Topics

            bcfg, topics = bus_config(ctx.config), ctx.topics()
            if a.broker_port:
                bcfg = replace(bcfg, port=a.broker_port)
            if a.broker_protocol:
                bcfg = replace(bcfg, protocol=a.broker_protocol)
            if a.site:
                try:
                    topics = Topics(a.site)
                except ValueError as e:
                    raise InvalidInput(str(e)) from None
        gw = MqttGateway(bcfg, topics, f"ui-{a.role}-{os.getpid()}", dispatch=ui_dispatch)
        app = CompoundApp(
            a.role,
            gw,
            Strings(a.lang),
            door=door,
            screen=a.screen,
            screenshot=a.screenshot,
            camera=a.camera,
            # The wall answers as the station its broker user is (the ACL lets it write that
            # station's reply topic only), for the officer's station group.
            station=a.station or bcfg.username or "wall",
            ring_group=ctx.config.intercom.officer,
            urgent=UrgentRule(
                frozenset(ctx.config.wall.urgent_severities),
                frozenset(ctx.config.wall.urgent_kinds),
            ),
            notice_spread_s=spread,
        )
        app.run()
    finally:
        if site is not None:
            site.stop()
    if a.screenshot:
        if not os.path.exists(a.screenshot):
            raise InvalidInput(
                f"the {a.role} screen could not be drawn; "
                "run with COMPOUND_UI_VERBOSE=1 for Kivy's log"
            )
        ctx.out({"screenshot": a.screenshot}, f"saved {a.screenshot}")
    return 0
