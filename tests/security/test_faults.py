"""The fault suite, short enough for CI (bench/soak.py runs the same code for longer): SIGKILL
the core mid-burst, and kill Mosquitto during unlock events."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import soak

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_core_sigkill_mid_burst_keeps_every_committed_event(tmp_path: Path) -> None:
    """Killed twelve times mid-burst: the database passes integrity_check, the hash chain
    verifies, and every request whose result left the core is in the log."""
    k = soak.kill_core(tmp_path, kills=12, burst=120)
    assert k["integrity_check_ok"] and k["log_verify_ok"], k
    assert k["results_published"] > 12 * 40, k  # the core really was mid-burst each time
    assert k["confirmed_but_lost"] == 0, k


def test_broker_restarts_lose_nothing_and_open_nothing(tmp_path: Path) -> None:
    """Mosquitto killed three times during a stream of card requests: each request is logged
    exactly once, no command goes out that a grant did not cause, and the core reconnects."""
    r = soak.restart_broker(tmp_path, restarts=3, per_gap=60)
    assert r["events_lost"] == 0, r
    assert r["events_logged_twice"] == 0, r
    assert r["unintended_releases"] == 0, r
    assert r["integrity_check_ok"] and r["log_verify_ok"], r
    assert r["reconnect_max_s"] is not None and r["reconnect_max_s"] < 15, r
