"""A core whose start fails part way stops what had started before the error goes on: its
threads would otherwise tick on in the process, on a store the caller closes next."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from compound.app.wiring import core_features
from compound.config import Config
from compound.services.core import Core
from compound.services.extension import Extension, Offers
from compound.store.db import Store
from tests.compound.test_api_bounds import QuietBus
from tests.conftest import CORE_THREADS


class BrokenFeature:
    """A feature that cannot start (a camera it cannot open, a file it cannot read), the last
    to start: it notes the core's threads running when its turn comes."""

    running: set[threading.Thread] = set()

    def offers(self) -> Offers:
        return Offers()

    def start(self) -> None:
        BrokenFeature.running = core_threads()
        raise RuntimeError("cannot start")

    def stop(self) -> None:
        pass


def with_a_broken_feature(core: Core) -> Sequence[Extension]:
    return [*core_features(core), BrokenFeature()]


def core_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if CORE_THREADS.fullmatch(t.name)}


def test_a_core_that_fails_to_start_leaves_no_thread_running(store: Store) -> None:
    before = core_threads()
    bus: Any = QuietBus()
    core = Core(store, bus, store.clock, Config(), features=with_a_broken_feature)
    with pytest.raises(RuntimeError, match="cannot start"):
        core.start()
    started = BrokenFeature.running - before
    assert {"decisions", "decision-merger", "community-tick", "intercom"} <= {
        t.name for t in started
    }
    # each stopped and joined before the error reached the caller
    assert [t.name for t in started if t.is_alive()] == []
