"""`compound demo --headless`: the whole appliance on one machine, as the README promises it.

It runs the real processes' code together (embedded broker, core, bridge on byte-level
simulated boards, face service on real photos, intercom with a virtual indoor station) and
prints every logged event. This test reads that output the way a person would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FACES

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def demo(*args: str, faces_env: str | None = None, timeout: float = 180) -> tuple[int, str]:
    env = {**os.environ, "KIVY_NO_ARGS": "1"}
    for name in ("COMPOUND_CONFIG", "COMPOUND_DB", "COMPOUND_DEMO_FACES"):
        env.pop(name, None)
    if faces_env is not None:
        env["COMPOUND_DEMO_FACES"] = faces_env
    r = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "demo", "--headless", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return r.returncode, r.stdout + r.stderr


def test_demo_shows_every_door_story_and_keeps_the_log_intact(tmp_path: Path) -> None:
    faces: list[str] = []
    if FACES.exists():
        # The photos under other names, given with --faces: the demo uses the folder it is given.
        folder = tmp_path / "photos"
        for i, person in enumerate(sorted(p for p in FACES.iterdir() if p.is_dir())):
            (folder / f"person-{i}").mkdir(parents=True)
            for photo in person.glob("*.jpg"):
                (folder / f"person-{i}" / photo.name).symlink_to(photo)
        faces = ["--faces", str(folder)]
    rc, out = demo("--seconds", "30", *faces)
    assert rc == 0, out[-3000:]
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
        assert seen(r"face demo: 刘洋 enrolled with 5 photos \(person-2\)"), "the folder given"
        assert seen(r"door\.unlocked .*door=gate reason=face access"), "a resident's face"
        assert seen(r"face gate-cam: not recognised"), "a stranger's face did not open it"
    verdict = [line for line in lines if line.startswith("demo stopped:")]
    assert verdict and verdict[-1].endswith("log intact"), verdict


def test_without_photos_the_demo_says_so_once_and_runs_the_rest(tmp_path: Path) -> None:
    """A clone on its own (no ../shared/faces beside it): the face part is off, the demo says
    why and how to turn it on, once, before it starts, and every other part runs."""
    nowhere = tmp_path / "no-photos-here"
    rc, out = demo("--seconds", "12", faces_env=str(nowhere))
    assert rc == 0, out[-3000:]
    assert "Traceback" not in out
    said = [line for line in out.splitlines() if line.startswith("face demo off:")]
    assert said == [
        f"face demo off: no photos at {nowhere}; to see faces open the gate, give a folder of "
        "<person>/<n>.jpg photos (two people or more, 3 photos or more each): "
        "compound demo --faces DIR, or COMPOUND_DEMO_FACES=DIR"
    ], out[-3000:]
    assert out.index("face demo off:") < out.index("demo running:"), "said at start"
    assert not re.search(r"face demo: .* enrolled", out)
    assert re.search(r"access\.granted .*door=b3-e2", out), "a card opened b3-e2"
    verdict = [line for line in out.splitlines() if line.startswith("demo stopped:")]
    assert verdict and verdict[-1].endswith("log intact"), verdict


def test_a_faces_folder_that_cannot_be_used_is_refused(tmp_path: Path) -> None:
    (tmp_path / "one-person").mkdir()
    (tmp_path / "one-person" / "1.jpg").write_bytes(b"not really a photo")
    rc, out = demo("--faces", str(tmp_path), timeout=60)
    assert rc == 2, out[-3000:]
    assert "Traceback" not in out and "demo running" not in out
    assert f"--faces: {tmp_path} has 1 folder(s) of .jpg photos, the demo needs two or more" in out
