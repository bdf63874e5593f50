"""What every screen's viewmodel shares: change notification and the offline banner."""

from __future__ import annotations

from collections.abc import Callable

from ui.gateway import Gateway, Live
from ui.i18n import Strings

# Clients whose availability is not a device's: consoles, command lines and demo helpers come
# and go, and their "offline" is no cause for alarm.
TRANSIENT_CLIENTS = ("ui-", "cli-", "demo-", "bench-", "test-")


class Observable:
    def __init__(self) -> None:
        self.listeners: list[Callable[[], None]] = []

    def changed(self) -> None:
        for fn in list(self.listeners):
            fn()


class Availability(Observable):
    """Bus connection, core and device availability, from ``device/<client>/availability``.

    The screens keep their last known state while something is offline; this only says what
    to put in the banner. A device taken off the site has its retained availability cleared (an
    empty message), and is forgotten then rather than shown offline until the screen restarts.
    """

    def __init__(self, gateway: Gateway, strings: Strings) -> None:
        super().__init__()
        self.gateway = gateway
        self.t = strings
        self.bus_up = gateway.connected
        self.clients: dict[str, bool] = {}
        gateway.on_connection(self._on_connection)
        gateway.subscribe("device/+/availability", self._on_availability)

    def _on_connection(self, up: bool) -> None:
        self.bus_up = up
        self.changed()

    def _on_availability(self, live: Live) -> None:
        if len(live.levels) != 3:
            return
        client = live.levels[1]
        if client.startswith(TRANSIENT_CLIENTS):
            return
        state = live.payload.strip()
        if state:
            self.clients[client] = state == b"online"
        else:
            # The retained state was cleared: the device left the site, it is not offline.
            self.clients.pop(client, None)
        self.changed()

    @property
    def core_up(self) -> bool:
        # Unknown counts as up: the core's retained "online" arrives right after connecting.
        return self.clients.get("core", True)

    @property
    def offline_devices(self) -> list[str]:
        return sorted(c for c, up in self.clients.items() if not up and c != "core")

    @property
    def banner(self) -> str:
        """Empty when all is well."""
        if not self.bus_up:
            return self.t("banner.bus")
        if not self.core_up:
            return self.t("banner.core")
        if self.offline_devices:
            return self.t("banner.device", devices=", ".join(self.offline_devices))
        return ""
