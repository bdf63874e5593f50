"""The bridge holds only the command keys of its own doors, read from the files that
`compound devices add --role bridge --door ... --key-dir` writes; never the master key, and
never a key it made up."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from compound.adapters import keys
from compound.app import devices
from compound.protocol.acl import Device
from firmware_bridge.door_keys import DoorKeyError, load_door_keys
from tests.firmware_bridge.conftest import Rig, wait_for
from tests.firmware_bridge.test_fail_safe import ROOT, bridge_process, write_config

pytestmark = pytest.mark.integration


def bridge_toml(rig: Rig, work: Path, bridge_keys: Path, store_keys: Path) -> Path:
    """The fail-safe tests' config, with [bridge] key_dir set and [store] key_dir elsewhere."""
    cfg = write_config(rig, work, rig.broker.port)
    text = cfg.read_text()
    old = f'key_dir = "{rig.store.key_dir}"'
    assert old in text
    text = text.replace(old, f'key_dir = "{store_keys}"')
    text = text.replace("[bridge]\n", f'[bridge]\nkey_dir = "{bridge_keys}"\n', 1)
    cfg.write_text(text)
    return cfg


def test_the_bridge_runs_on_its_door_key_files_alone(rig: Rig, tmp_path: Path) -> None:
    """`compound bridge` given a key directory that holds only door-d1.key and door-d2.key, as
    issued for a bridge device, and no master key anywhere it is told to look: a card granted
    by the core opens d1, and the bridge wrote no key of its own."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    bridge_keys, store_keys = tmp_path / "bridge-keys", tmp_path / "no-master-here"
    store_keys.mkdir()
    issued = devices.add(rig.store, Device("bridge2", "bridge", doors=("d1", "d2")), "installer")
    devices.write_key_files(bridge_keys, issued.door_keys)
    seen = len(rig.messages("door/d1/state"))
    with bridge_process(bridge_toml(rig, tmp_path, bridge_keys, store_keys)) as proc:
        wait_for(
            lambda: any(b'"locked"' in m.payload for m in rig.messages("door/d1/state")[seen:]),
            timeout=20,
            what="the bridge process reports d1 locked",
        )
        rig.mcu.card(10001)
        wait_for(lambda: rig.board.coils[0] is True, what="the core's signed grant carried out")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    assert sorted(p.name for p in bridge_keys.iterdir()) == ["door-d1.key", "door-d2.key"]
    assert list(store_keys.iterdir()) == []


def test_a_missing_door_key_file_stops_the_bridge_at_start(rig: Rig, tmp_path: Path) -> None:
    """Only d1's key file was issued: `compound bridge` exits 2 at once with one line naming
    door d2 and the file it looked for, and makes no key (the old bridge silently made a new
    master key and then refused every command)."""
    rig.bridge.stop()
    rig.bridge_bus.stop()
    bridge_keys, store_keys = tmp_path / "bridge-keys", tmp_path / "no-master-here"
    store_keys.mkdir()
    devices.write_key_files(bridge_keys, {"d1": keys.door_command_key(rig.store.master_key, "d1")})
    cfg = bridge_toml(rig, tmp_path, bridge_keys, store_keys)
    history = len(rig.board.history)
    done = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "--config", str(cfg), "bridge"],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "door d2" in lines[0] and str(bridge_keys / "door-d2.key") in lines[0]
    assert sorted(p.name for p in bridge_keys.iterdir()) == ["door-d1.key"]
    assert list(store_keys.iterdir()) == []
    assert rig.board.history[history:] == []  # it never got as far as the board


def test_unusable_key_files_are_refused_with_the_door_and_file(tmp_path: Path) -> None:
    devices.write_key_files(tmp_path, {"d1": b"k" * 32, "d2": b"short"})
    with pytest.raises(DoorKeyError, match=r"door d2: .*door-d2\.key has 5 bytes, expected 32"):
        load_door_keys(tmp_path, ["d1", "d2"])
    (tmp_path / "door-d1.key").chmod(0o644)
    with pytest.raises(DoorKeyError, match=r"door d1: .*door-d1\.key is readable by others"):
        load_door_keys(tmp_path, ["d1"])
    (tmp_path / "door-d1.key").chmod(0o600)
    assert load_door_keys(tmp_path, ["d1"]) == {"d1": b"k" * 32}
