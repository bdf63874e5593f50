"""``compound demo`` whose bus does not come up (the config's broker is not there, and the
person stops it with Ctrl-C while it waits): the core it had started stops with it, and so
does everything else the demo opened. The core used to be started outside the block that stops
it, so its threads went on ticking on a database the demo had closed."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from compound.adapters.broker import free_port
from compound.app.cli import main
from devkit import demo
from tests.conftest import CORE_THREADS


def test_ctrl_c_while_the_core_waits_for_its_broker_stops_the_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nothing listens: every connection is refused
    cfg = tmp_path / "demo.toml"
    cfg.write_text(f'[broker]\nport = {port}\nprotocol = 4\n[site]\nid = "demo"\n')
    monkeypatch.setenv("COMPOUND_DEMO_FACES", str(tmp_path / "no-photos"))
    running: list[str] = []
    said = demo.eprint

    def say(text: str) -> None:
        said(text)
        if "not answering" in text and not running:
            # The core's bus is waiting for the broker, in this (the main) thread: a real
            # Ctrl-C now, as a person at the terminal would give it.
            running.extend(t.name for t in threading.enumerate() if CORE_THREADS.fullmatch(t.name))
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(demo, "eprint", say)
    db = tmp_path / "demo.db"
    rc = main(["--config", str(cfg), "--db", str(db), "demo", "--headless", "--seconds", "60"])
    err = capsys.readouterr().err
    assert rc == 130, err
    assert {"decisions", "decision-merger", "community-tick"} <= set(running), running
    # Each of them stopped and joined before the command returned (and the guard in
    # tests/conftest.py checks again that none of the core's threads is left).
    alive = [t.name for t in threading.enumerate() if CORE_THREADS.fullmatch(t.name)]
    assert alive == []
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1] == "compound: interrupted"
    assert any(x.startswith("demo stopped:") and x.endswith("log intact") for x in lines), err
