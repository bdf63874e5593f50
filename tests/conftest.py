"""Shared fixtures: a fresh store on a manual clock, a real Mosquitto, the embedded broker."""

from __future__ import annotations

import os
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
