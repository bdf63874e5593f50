"""A revoked device leaves the screens' banners (issue: a removed device stayed "offline" until
the screen restarted), on a real Mosquitto with the shipped config: `compound devices revoke`
clears the device's retained availability, and the core clears the last will the broker
publishes when it cuts the device off; a console's availability list forgets the device."""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.mqtt import BusConfig
from compound.app import cli
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.store.db import Store
from tests.security.conftest import SecuredBroker
from ui.gateway import MqttGateway
from ui.i18n import Strings
from ui.viewmodels.base import Availability

pytestmark = [pytest.mark.integration]


class Watched:
    """The console's availability, with a way to wait for what it shows."""

    def __init__(self, secured: SecuredBroker, client_id: str) -> None:
        cfg = BusConfig(
            port=secured.broker.port,
            username="console1",
            password=secured.passwords["console1"],
        )
        self.cond = threading.Condition()
        self.gw = MqttGateway(cfg, secured.topics, client_id, dispatch=self._dispatch)
        self.av = Availability(self.gw, Strings("en"))
        self.gw.start()

    def _dispatch(self, fn: object) -> None:
        with self.cond:
            fn()  # type: ignore[operator]
            self.cond.notify_all()

    def wait(self, test: object, timeout: float = 30.0) -> bool:
        with self.cond:
            return self.cond.wait_for(test, timeout)  # type: ignore[arg-type]


@pytest.fixture
def core(secured: SecuredBroker) -> Iterator[None]:
    store = Store(Path(secured.db), SystemClock(), secured.dir / "keys")
    bus = secured.bus("core", client_id="core-roster")
    c = build_core(store, bus, store.clock, Config())
    c.start()
    bus.start(timeout=10)
    yield
    c.stop()
    bus.stop()
    store.close()


def revoke_as_box(secured: SecuredBroker, name: str) -> dict:
    """`compound devices revoke` with the box's config, whose [broker] names the core's user
    (as the installed box's does), so the command can reach the broker."""
    secret = secured.dir / "core.password"
    secret.write_text(secured.passwords["core"])
    secret.chmod(0o600)
    cfg = secured.dir / "box.toml"
    cfg.write_text(
        secured.config.read_text().replace(
            "[broker]\n", f'[broker]\nusername = "core"\npassword_file = "{secret}"\n'
        )
    )
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(["--config", str(cfg), "--db", str(secured.db), "devices", "revoke", name,
                       "--json"])  # fmt: skip
    assert rc == 0, err.getvalue()
    return dict(json.loads(out.getvalue()))


def add(secured: SecuredBroker, name: str) -> None:
    rc, out, err = secured.cli(
        "devices", "add", name, "--role", "panel", "--door", "d9", "--json", "--by", "t"
    )
    assert rc == 0, err
    secured.passwords[name] = json.loads(out)["password"]


def test_a_revoked_device_is_forgotten_not_shown_offline(
    secured: SecuredBroker, core: None
) -> None:
    add(secured, "panel8")  # goes offline, then is revoked
    add(secured, "panel9")  # is still connected when it is revoked: the broker cuts it off
    watched = Watched(secured, "console1-a")
    try:
        p8 = secured.bus("panel8")
        p8.start(timeout=30)
        p9 = secured.bus("panel9")
        p9.start(timeout=30)
        assert watched.wait(lambda: watched.av.clients.get("panel9") is True)
        p8.stop()
        assert watched.wait(lambda: watched.av.offline_devices == ["panel8"])
        assert "panel8" in watched.av.banner
        assert revoke_as_box(secured, "panel8")["availability_cleared"] is True
        assert watched.wait(lambda: "panel8" not in watched.av.clients)
        assert watched.av.banner == ""
        revoke_as_box(secured, "panel9")
        # Cut off at the reload, its will says "offline"; the core clears it.
        assert watched.wait(lambda: "panel9" not in watched.av.clients and not watched.av.banner)
        p9.stop()
        # A screen started afterwards finds neither of them retained.
        later = Watched(secured, "console1-b")
        try:
            # The core's retained "online" is the fence: retained states have arrived.
            assert later.wait(lambda: later.av.clients.get("core-roster") is True)
            assert "panel8" not in later.av.clients and "panel9" not in later.av.clients
        finally:
            later.gw.stop()
    finally:
        watched.gw.stop()


def test_the_core_clears_what_a_revoke_could_not(secured: SecuredBroker) -> None:
    """The revoke could not clear the retained state (here: the command ran without the box's
    broker user, so the broker dropped its clear): the core clears it when it next starts."""
    add(secured, "panel7")
    watched = Watched(secured, "console1-c")
    try:
        p7 = secured.bus("panel7")
        p7.start(timeout=30)
        p7.stop()
        assert watched.wait(lambda: watched.av.clients.get("panel7") is False)
        rc, _, err = secured.cli("devices", "revoke", "panel7")
        assert rc == 0, err
        store = Store(Path(secured.db), SystemClock(), secured.dir / "keys")
        bus = secured.bus("core", client_id="core-restarted")
        c = build_core(store, bus, store.clock, Config())
        c.start()
        bus.start(timeout=10)
        try:
            assert watched.wait(lambda: "panel7" not in watched.av.clients)
            assert c.counters["device.revoked_availability_cleared"] >= 1
        finally:
            c.stop()
            bus.stop()
            store.close()
    finally:
        watched.gw.stop()
