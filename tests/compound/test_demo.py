"""`compound demo --headless`: the whole appliance on one machine, as the README promises it.

It runs the real processes' code together (embedded broker, core, bridge on byte-level
simulated boards, face service on real photos, intercom with a virtual indoor station) and
prints every logged event. This test reads that output the way a person would."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import FACES

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_shows_every_door_story_and_keeps_the_log_intact() -> None:
    env = {**os.environ, "KIVY_NO_ARGS": "1"}
    env.pop("COMPOUND_CONFIG", None)
    env.pop("COMPOUND_DB", None)
    r = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "demo", "--headless", "--seconds", "30"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "Traceback" not in out
    lines = out.splitlines()

    def seen(pattern: str) -> bool:
        return any(re.search(pattern, line) for line in lines)

    assert seen(r"access\.granted .*door=b3-e2"), "a card opened b3-e2"
    assert seen(r"door\.unlocked .*door=b3-e2") and seen(r"door\.opened .*door=b3-e2")
    assert seen(r"door\.locked .*door=b3-e2 reason=door closed"), "relocked when it closed"
    assert seen(r"door\.exit_button .*door=b1-e1")
    assert seen(r"alarm\.raised .*door=b2-e1 kind=held_open")
    assert seen(r"alarm\.raised .*door=b1-e1 kind=forced_open")
    for door in ("gate", "b1-e1", "b2-e1", "b3-e2"):
        assert seen(rf"alarm\.raised .*door={door} kind=fire_release"), door
    assert seen(r"intercom\.call .*door=b3-e2 reason=door_opened"), "the dialled flat let them in"
    assert seen(r"zone\.tripped .*kind=perimeter"), "the perimeter beam was broken"
    assert seen(r"alarm\.raised .*kind=zone .*North fence"), "a zone alarm for the officer"
    if FACES.exists():
        assert seen(r"door\.unlocked .*door=gate reason=face access"), "a resident's face"
        assert seen(r"face gate-cam: not recognised"), "a stranger's face did not open it"
    verdict = [line for line in lines if line.startswith("demo stopped:")]
    assert verdict and verdict[-1].endswith("log intact"), verdict
