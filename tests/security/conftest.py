"""A real Mosquitto running the shipped drop-in config, with devices issued by the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compound.adapters.broker import Mosquitto, free_port
from compound.adapters.mqtt import Bus, BusConfig, Message
from compound.app import cli
from compound.app.wiring import build_core
from compound.config import Config
from compound.domain.clock import SystemClock
from compound.protocol.topics import Topics
from compound.services.core import Core
from compound.store.db import Store

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "systemd" / "mosquitto" / "compound.conf"
SITE = "sec"

# name, role options for `compound devices add`
DEVICES = {
    "core": ["--role", "core"],
    "watch": ["--role", "core"],
    "console1": ["--role", "console"],
    "console2": ["--role", "console"],
    "panel1": ["--role", "panel", "--door", "d1", "--camera", "c1"],
    "bridge1": ["--role", "bridge", "--door", "d1", "--door", "d2"],
    "relay3": ["--role", "relay", "--door", "d3"],
    "face1": ["--role", "face"],
    "st1": ["--role", "station", "--unit", "3-2-1501"],
    "ha1": ["--role", "ha"],
}


@dataclass
class SecuredBroker:
    broker: Mosquitto
    dir: Path
    config: Path
    db: Path
    tls_port: int
    passwords: dict[str, str] = field(default_factory=dict)
    door_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    topics: Topics = field(default_factory=lambda: Topics(SITE))

    def cli(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli.main(["--config", str(self.config), "--db", str(self.db), *args])
        return rc, out.getvalue(), err.getvalue()

    def bus(
        self,
        name: str,
        *,
        password: str | None = None,
        tls: bool = False,
        client_id: str | None = None,
    ) -> Bus:
        cfg = BusConfig(
            port=self.tls_port if tls else self.broker.port,
            username=name,
            password=self.passwords.get(name) if password is None else password,
            tls_ca=str(self.dir / "tls" / "ca.crt") if tls else None,
        )
        return Bus(cfg, self.topics, client_id or name)


def make_tls(tls: Path) -> None:
    tls.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(tls / "server.key"), "-out", str(tls / "server.crt")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    shutil.copy(tls / "server.crt", tls / "ca.crt")
    for p in tls.iterdir():
        p.chmod(0o644)


def shipped_config(work: Path, port: int, tls_port: int) -> str:
    """The shipped drop-in with only its port numbers and file locations changed."""
    text = SHIPPED.read_text()
    replaced = {
        "listener 1883 127.0.0.1": f"listener {port} 127.0.0.1",
        "listener 8883": f"listener {tls_port} 127.0.0.1",
        "/etc/mosquitto/compound/": f"{work}/",
    }
    for old, new in replaced.items():
        assert old in text, f"shipped config no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def secured() -> Iterator[SecuredBroker]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the TLS listener's test certificate")
    # Mosquitto drops to its own user and rereads the files as that user on SIGHUP, so the
    # directory must be traversable (pytest's tmp dirs are 0700).
    work = Path(tempfile.mkdtemp(prefix="compound-sec-"))
    work.chmod(0o755)
    make_tls(work / "tls")
    port, tls_port = free_port(), free_port()
    db = work / "compound.db"
    config = work / "compound.toml"
    config.write_text(
        f'[site]\nid = "{SITE}"\n[broker]\nport = {port}\n'
        f'[store]\npath = "{db}"\nkey_dir = "{work / "keys"}"\n'
        f'[security]\nacl_file = "{work / "acl"}"\npassword_file = "{work / "passwd"}"\n'
        f'broker_pid_file = "{work / "mosquitto.pid"}"\n'
    )
    broker = Mosquitto(port=port, extra_config=shipped_config(work, port, tls_port), workdir=work)
    sb = SecuredBroker(broker, work, config, db, tls_port)
    assert sb.cli("init", "--site", SITE)[0] == 0
    for name, opts in DEVICES.items():
        rc, out, err = sb.cli("devices", "add", name, *opts, "--json", "--by", "test")
        assert rc == 0, err
        issued = json.loads(out)
        sb.passwords[name] = issued["password"]
        sb.door_keys[name] = issued.get("door_keys", {})
    broker.start()
    (work / "mosquitto.pid").write_text(f"{broker.proc.pid}\n")  # type: ignore[union-attr]
    yield sb
    broker.cleanup()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def clients(secured: SecuredBroker) -> Iterator[dict[str, Bus]]:
    """The module's clients by name, each stopped when the module ends."""
    made: dict[str, Bus] = {}
    yield made
    for b in made.values():
        b.stop()


def devices_store(secured: SecuredBroker) -> Store:
    """A store on the database where `compound devices add` registered the devices, as on the
    box: the core reads from it who each broker user is (a panel's door, a station's unit)."""
    return Store(secured.db, SystemClock(), secured.dir / "keys")


@contextmanager
def running_core(
    secured: SecuredBroker, store: Store, config: Config | None = None, timeout: float = 10
) -> Iterator[Core]:
    """The core on ``store``, on its own broker user, started; after, stopped and the store
    closed."""
    bus = secured.bus("core")
    core = build_core(store, bus, store.clock, config or Config())
    core.start()
    try:
        bus.start(timeout=timeout)
        yield core
    finally:
        core.stop()
        bus.stop()
        store.close()


class Seen:
    """Every message one subscriber receives, in order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.cond = threading.Condition()

    def __call__(self, msg: Message) -> None:
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()

    def mark(self) -> int:
        with self.cond:
            return len(self.messages)

    def since(self, mark: int) -> list[Message]:
        with self.cond:
            return self.messages[mark:]

    def wait_for(self, test: Callable[[Message], bool], timeout: float = 15.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: any(test(m) for m in self.messages), timeout)


@pytest.fixture(scope="module")
def site(secured: SecuredBroker) -> Iterator[tuple[Core, Seen]]:
    """The core on its own broker user, and an observer that may read everything."""
    work = Path(tempfile.mkdtemp(prefix="compound-site-"))
    store = Store(work / "compound.db", SystemClock(), work / "keys")
    store.add_unit("3-2-1501")
    store.add_door("d1", "Building 3 entrance 2", ["3-2"])
    core_bus = secured.bus("core")
    core = build_core(store, core_bus, store.clock, Config())
    core.start()
    core_bus.start(timeout=10)
    watch = secured.bus("watch")
    seen = Seen()
    watch.subscribe(secured.topics.all("#"), seen)
    watch.start(timeout=10)
    yield core, seen
    watch.stop()
    core.stop()
    core_bus.stop()
    store.close()
