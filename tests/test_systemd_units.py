"""The systemd units verify as they would be installed.

``systemd-analyze verify`` checks each unit's keys and that its ExecStart is executable. The
units name ``/opt/compound/bin/compound``, which exists only on an installed box, so each
test lays out a root: this machine's unit directory (for mosquitto.service, multi-user.target
and the rest), the compound units beside it in /usr/lib/systemd/system, and an executable at the
ExecStart path; then ``systemd-analyze verify --root`` reads the units there. Any warning fails
the test, not only the exit status.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parent.parent / "systemd"
SERVICES = ["compound-core", "compound-bridge", "compound-face", "compound-uplink"]
HOST_UNITS = next(
    (p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir()),
    None,
)
ANALYZE = shutil.which("systemd-analyze")

needs_analyze = pytest.mark.skipif(
    ANALYZE is None or HOST_UNITS is None,
    reason="systemd-analyze or the system unit directory is missing (./dev test installs systemd)",
)


def unit(name: str) -> configparser.ConfigParser:
    p = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    p.optionxform = str  # type: ignore[assignment,method-assign]
    p.read(UNITS / name)
    return p


def install_root(tmp: Path) -> Path:
    """A file system root holding the units where a package puts them."""
    assert HOST_UNITS is not None
    root = tmp / "root"
    lib = root / "usr/lib/systemd/system"
    shutil.copytree(HOST_UNITS, lib, symlinks=True)
    for f in [*UNITS.glob("*.service"), *UNITS.glob("*.timer")]:
        shutil.copy(f, lib / f.name)
    exe = root / "opt/compound/bin/compound"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\nexit 0\n")
    exe.chmod(0o755)
    if not (lib / "mosquitto.service").exists():  # mosquitto not installed on this machine
        (lib / "mosquitto.service").write_text("[Service]\nExecStart=/bin/true\n")
    return root


def verify(root: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="")
    return subprocess.run(
        [ANALYZE, "verify", f"--root={root}", *names],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


@needs_analyze
def test_every_unit_verifies_as_installed(tmp_path: Path) -> None:
    root = install_root(tmp_path)
    names = (
        [f"{s}.service" for s in SERVICES]
        + [f"compound-ui@{role}.service" for role in ("door", "officer", "manager")]
        + ["compound-backup.service", "compound-backup.timer"]
    )
    r = verify(root, names)
    assert r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(), r.stdout + r.stderr


@needs_analyze
def test_the_verification_catches_a_bad_unit(tmp_path: Path) -> None:
    """The check is not vacuous: an unknown key and a missing executable are reported."""
    root = install_root(tmp_path)
    (root / "opt/compound/bin/compound").chmod(0o644)
    lib = root / "usr/lib/systemd/system"
    text = (lib / "compound-core.service").read_text()
    (lib / "compound-core.service").write_text(text.replace("[Service]", "[Service]\nFoo=1"))
    r = verify(root, ["compound-core.service"])
    assert "not executable" in r.stderr
    assert "Unknown key" in r.stderr


def test_services_are_hardened() -> None:
    for s in SERVICES:
        svc = unit(f"{s}.service")["Service"]
        assert svc["User"] == "compound" and svc["Group"] == "compound", s
        assert svc["StateDirectory"] == "compound", s
        assert svc["StateDirectoryMode"] == "0700", s
        assert svc["ProtectSystem"] == "strict", s
        assert "/var/lib/compound" in svc["ReadWritePaths"].split(), s
        assert svc["PrivateTmp"] == "yes" and svc["NoNewPrivileges"] == "yes", s
        # A config mistake exits 2: restarting every two seconds cannot fix it.
        assert svc["RestartPreventExitStatus"] == "2", s
    backup = unit("compound-backup.service")["Service"]
    assert backup["User"] == "compound" and backup["ProtectSystem"] == "strict"
    assert backup["PrivateTmp"] == "yes" and backup["NoNewPrivileges"] == "yes"
    assert "--prune" in backup["ExecStart"].split()
    timer = unit("compound-backup.timer")["Timer"]
    assert timer["OnCalendar"] and timer["Persistent"] == "true"
    ui = unit("compound-ui@.service")["Service"]
    assert ui["NoNewPrivileges"] == "yes" and ui["InaccessiblePaths"] == "/var/lib/compound"


def test_core_bridge_and_face_notify_and_have_a_watchdog() -> None:
    for s in ("compound-core", "compound-bridge", "compound-face"):
        svc = unit(f"{s}.service")["Service"]
        assert svc["Type"] == "notify", s
        assert int(svc["WatchdogSec"]) > 0, s


def test_the_bridge_starts_without_the_core() -> None:
    u = unit("compound-bridge.service")["Unit"]
    for key in ("Requires", "Requisite", "BindsTo", "PartOf", "After", "Wants"):
        assert "compound-core" not in u.get(key, ""), key
