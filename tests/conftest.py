"""Shared fixtures: a fresh store on a manual clock, a real Mosquitto, the embedded broker."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compound.adapters.broker import EmbeddedBroker, Mosquitto, free_port
from compound.adapters.mqtt import Bus, BusConfig
from compound.config import Config
from compound.domain.clock import ManualClock, SystemClock
from compound.protocol.topics import Topics
from compound.store.db import Store
from devkit.env import FACES

ROOT = Path(__file__).resolve().parent.parent

# Run in the background, the suite starts with SIGINT ignored (a shell starts a background job
# so), and every command a test starts would keep it ignored across exec: the tests that press
# Ctrl-C at a command would never be heard. Handled here, a child starts with the default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The threads a core (and its extensions, and the platform's services) starts and joins in its
# stop. One left running after its test ticks on in the tests after it, on a store that is
# closed by then. The bus's workers ("api-*") are not checked here: they stop with the core or
# the bus that owns them, and a bus may outlive its test in a wider fixture.
CORE_THREADS = re.compile(
    r"(community-tick|decisions|decision-merger|intercom|camera-.+|face-worker-.+"
    r"|ingest-leases|platform-.+|pass-sweeper|quarantine)"
)
STOPPING_S = 5.0  # for threads already told to stop, to finish their last pass


def _left_running(before: set[threading.Thread]) -> list[str]:
    """Names of the core's threads alive now that were not in ``before``, once those stopping
    have had ``STOPPING_S`` between them to end."""
    deadline = time.monotonic() + STOPPING_S
    left = []
    for t in threading.enumerate():
        if t in before or not CORE_THREADS.fullmatch(t.name):
            continue
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            left.append(t.name)
    return sorted(left)


def _checked(before: set[threading.Thread]) -> None:
    left = _left_running(before)
    if left:
        pytest.fail(f"threads of a core left running: {', '.join(left)}; stop the core")


# Checked at the end of each module, and at the end of each test that uses no fixture of the
# tests' own wider than itself. The module's check is set up before the module's fixtures and
# torn down after them, so a core kept by a module fixture has stopped by then. A test that
# uses such a fixture may stop and start that core again (a restart, as the box in
# tests/security/test_bridge_shipped.py does): the core it leaves running is then the
# fixture's, and it is judged at the module's end. No session fixture of the tests starts a
# core; one that did would fail the module that first asked for it.
@pytest.fixture(autouse=True)
def no_core_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    defs = request.node._fixtureinfo.name2fixturedefs  # pytest keeps no public way to these
    wider = [
        name
        for name, fds in defs.items()
        if fds[-1].scope != "function"
        and fds[-1].func.__module__.startswith("tests.")
        and name != "no_core_left_in_module"
    ]
    if not wider:
        _checked(before)


@pytest.fixture(scope="module", autouse=True)
def no_core_left_in_module() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    _checked(before)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[Store]:
    s = Store(tmp_path / "compound.db", clock, tmp_path / "keys")
    yield s
    s.close()


@pytest.fixture
def live_store(tmp_path: Path) -> Iterator[Store]:
    """A store on the system clock, for tests where real processes exchange timestamps."""
    s = Store(tmp_path / "compound.db", SystemClock(), tmp_path / "keys")
    yield s
    s.close()


@pytest.fixture
def mosquitto() -> Iterator[Mosquitto]:
    m = Mosquitto().start()
    yield m
    m.cleanup()


@pytest.fixture
def embedded_broker() -> Iterator[int]:
    port = free_port()
    b = EmbeddedBroker(port)
    b.start()
    yield port
    b.stop()


@pytest.fixture
def topics() -> Topics:
    return Topics("test")


@pytest.fixture
def config() -> Config:
    return Config()


@pytest.fixture
def make_bus(topics: Topics) -> Iterator[object]:
    """Factory for started bus clients; all are stopped at the end of the test."""
    made: list[Bus] = []

    def make(port: int, client_id: str, protocol: int = 5, start: bool = True) -> Bus:
        bus = Bus(BusConfig(port=port, protocol=protocol), topics, client_id)
        made.append(bus)
        if start:
            bus.start(timeout=10)
        return bus

    yield make
    for b in made:
        b.stop()


def pytest_report_header() -> str:
    return f"faces: {FACES} ({'present' if FACES.exists() else 'MISSING'}); cwd {os.getcwd()}"
