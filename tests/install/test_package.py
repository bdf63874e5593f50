"""The Debian package as an installer meets it, in a throwaway Debian root (``debroot``):
install, the units verify as installed, the core and the bridge start by their ExecStart lines,
the nightly backup runs, a package older than the database is refused, an upgrade backs up and
migrates, remove keeps the data and purge deletes it after saying so.

The tests of this module run in order on one root; ``./dev test-install`` builds the package
first (``dist/compound_<version>_amd64.deb``)."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from compound.store.migrations import MIGRATIONS
from tests.install import debroot

ROOT = Path(__file__).resolve().parents[2]
UNITS = "/lib/systemd/system"
STARTED = ("compound-core.service", "compound-bridge.service", "compound-face.service")
ALL_UNITS = (
    *STARTED, "compound-uplink.service", "compound-backup.service", "compound-backup.timer",
    "compound-quarantine.path", "compound-quarantine.service",
    "compound-ui@door.service",  # last: a template's instance, not a file in the package
)  # fmt: skip


def version() -> str:
    for line in (ROOT / "setup.cfg").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip()
    raise AssertionError("no version in setup.cfg")


@dataclass
class Box:
    root: Path
    deb: Path

    def sh(self, script: str, ok: bool = True) -> str:
        r = debroot.run(self.root, script)
        if ok:
            assert r.returncode == 0, f"{script}\n--- exit {r.returncode}:\n{r.stdout[-4000:]}"
        return r.stdout

    def rc(self, script: str) -> tuple[int, str]:
        r = debroot.run(self.root, script)
        return r.returncode, r.stdout

    def path(self, p: str) -> Path:
        return self.root / p.lstrip("/")

    def owner(self, p: str) -> tuple[str, str, int]:
        st = self.path(p).stat()
        names = {}
        for f, i in (("etc/passwd", st.st_uid), ("etc/group", st.st_gid)):
            for line in self.path(f).read_text().splitlines():
                parts = line.split(":")
                if int(parts[2]) == i:
                    names[f] = parts[0]
        return names["etc/passwd"], names["etc/group"], st.st_mode & 0o7777

    def sql(self, query: str) -> str:
        return self.sh(
            "/usr/bin/python3.11 -c 'import sqlite3,sys; c=sqlite3.connect(\"/var/lib/compound/"
            "compound.db\"); r=c.execute(sys.argv[1]).fetchall(); c.commit(); print(r)' "
            f'"{query}"'
        ).strip()


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    deb = ROOT / f"dist/compound_{version()}_amd64.deb"
    if not deb.is_file():
        pytest.fail(f"{deb} is missing: ./dev deb builds it (./dev test-install does)")
    root = debroot.unpack(tmp_path_factory.mktemp("debroot") / "root")
    shutil.copy(deb, root / "tmp" / deb.name)
    yield Box(root, Path("/tmp") / deb.name)
    shutil.rmtree(root, ignore_errors=True)


def deb_field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def control_file(deb: Path, name: str) -> str:
    r = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(deb)], capture_output=True, check=True)
    out = subprocess.run(
        ["tar", "-xO", f"./{name}"], input=r.stdout, capture_output=True, check=True
    )
    return out.stdout.decode()


def test_the_package_holds_what_a_box_needs() -> None:
    deb = ROOT / f"dist/compound_{version()}_amd64.deb"
    assert deb_field(deb, "Package") == "compound"
    assert deb_field(deb, "Version") == version()
    assert deb_field(deb, "Architecture") == "amd64"
    depends = deb_field(deb, "Depends")
    for need in ("mosquitto", "systemd", "openssl"):  # python3.11: in Pre-Depends
        assert need in depends, depends
    assert "python3.11" in deb_field(deb, "Pre-Depends")
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    files = {line.split()[5].removeprefix(".") for line in listing.splitlines()}
    for f in (
        "/opt/compound/bin/compound", "/opt/compound/bin/python", "/usr/bin/compound",
        "/etc/compound/compound.toml", "/etc/mosquitto/conf.d/compound.conf",
        "/usr/lib/sysusers.d/compound.conf", *(f"{UNITS}/{u}" for u in ALL_UNITS[:-1]),
        f"{UNITS}/compound-ui@.service",
    ):  # fmt: skip
        assert f in files, f
    # dlib from the wheel, not compiled: its module is there, no build tree came along.
    assert any(re.search(r"site-packages/_dlib_pybind11.*\.so$", f) for f in files)
    assert not any("/var/deb/" in f or "__pycache__" in f for f in files)
    conffiles = set(control_file(deb, "conffiles").split())
    assert conffiles == {
        "/etc/compound/compound.toml", "/etc/compound/ui.toml",
        "/etc/mosquitto/conf.d/compound.conf",
    }  # fmt: skip
    preinst = control_file(deb, "preinst")
    steps = " ".join(str(m.number) for m in MIGRATIONS)
    assert f'KNOWN="{steps}"' in preinst, "preinst knows this tree's schema steps"
    assert "backup create" in preinst
    postinst = control_file(deb, "postinst")
    assert "compound setup" in postinst and "deb-systemd-helper enable 'compound-core" in postinst
    assert "rm -rf /var/lib/compound" in control_file(deb, "postrm")


def test_install_sets_up_the_box(box: Box) -> None:
    out = box.sh(f"apt-get install -y --no-install-recommends {box.deb} 2>&1")
    assert "box ready: database /var/lib/compound/compound.db" in out, out
    assert "Keep a copy of /etc/compound/backup.key off the box" in out
    assert box.owner("/var/lib/compound") == ("compound", "compound", 0o700)
    assert box.owner("/var/lib/compound/compound.db")[:2] == ("compound", "compound")
    assert box.owner("/var/lib/compound/keys/master.key") == ("compound", "compound", 0o600)
    assert box.owner("/etc/compound/backup.key") == ("compound", "compound", 0o600)
    assert box.owner("/etc/compound/secrets/core.mqtt") == ("compound", "compound", 0o600)
    assert box.owner("/etc/mosquitto/compound/passwd") == ("root", "mosquitto", 0o640)
    assert box.path("/etc/mosquitto/compound/passwd").read_text().startswith("core:")
    assert "user core" in box.path("/etc/mosquitto/compound/acl").read_text()
    assert box.owner("/etc/mosquitto/compound/tls/server.key") == ("root", "mosquitto", 0o640)
    wants = box.path("/etc/systemd/system/multi-user.target.wants")
    assert {u for u in STARTED} <= {p.name for p in wants.iterdir()}
    assert not (wants / "compound-uplink.service").is_symlink(), "the uplink waits for [uplink]"
    timer = box.path("/etc/systemd/system/timers.target.wants/compound-backup.timer")
    assert timer.is_symlink()
    assert (wants / "compound-quarantine.path").is_symlink(), "a flood quarantine is applied"
    groups = box.path("/etc/group").read_text()
    assert re.search(r"^mosquitto:x:\d+:.*compound", groups, re.M), "compound reads broker files"


def test_the_installed_units_verify(box: Box) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (the systemd package) is needed"
    env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="")
    r = subprocess.run(
        [analyze, "verify", f"--root={box.root}", *ALL_UNITS],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr


def unit(box: Box, name: str) -> configparser.SectionProxy:
    p = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    p.optionxform = str  # type: ignore[assignment,method-assign]
    p.read(box.path(f"{UNITS}/{name}"))
    return p["Service"]


def as_unit(box: Box, name: str) -> str:
    """A shell line running the unit's ExecStart as its User with its Environment."""
    s = unit(box, name)
    return f"runuser -u {s['User']} -- env {s['Environment']} {s['ExecStart']}"


def test_core_and_bridge_start_by_their_exec_start_lines(box: Box) -> None:
    out = box.sh(
        "install -d -o mosquitto /run/mosquitto; mosquitto -c /etc/mosquitto/mosquitto.conf -d; "
        f"{as_unit(box, 'compound-bridge.service')} >/tmp/bridge.log 2>&1 "
        "& echo bridge=$! >/tmp/pids; "
        f"{as_unit(box, 'compound-core.service')} >/tmp/core.log 2>&1 & core=$!; "
        "for i in $(seq 1 120); do "
        "  COMPOUND_CONFIG=/etc/compound/compound.toml compound api door.list >/tmp/api 2>&1 "
        "  && break; sleep 1; done; "
        "echo api: $(cat /tmp/api); wait %1 || echo bridge exit $?; "
        "kill $core; wait $core || true; kill $(cat /run/mosquitto/mosquitto.pid); "
        "cat /tmp/core.log /tmp/bridge.log"
    )
    assert 'api: { "items": [], "page": 1' in out, out  # the core answered: a page, no doors yet
    assert "core running for site fenglin on 127.0.0.1:1883" in out
    # A box without doors wired yet: the bridge says what to do and exits 2, which its unit does
    # not restart (RestartPreventExitStatus=2) instead of failing every two seconds.
    assert "bridge exit 2" in out and "no doors in [bridge]" in out, out
    assert unit(box, "compound-bridge.service")["RestartPreventExitStatus"] == "2"


SIMULATED_HARDWARE = r"""
import os, sys, time
from devkit.simulators import VirtualIntercomMCU, VirtualRelayBoard

board, mcu = VirtualRelayBoard(unit=1, channels=8), VirtualIntercomMCU()
board.start()
mcu.start()
for port in (board.port, mcu.port):
    os.chmod(port, 0o666)  # the bridge runs as compound
with open("/tmp/ports.part", "w") as f:
    f.write(f"BOARD={board.port}\nMCU={mcu.port}\n")
os.rename("/tmp/ports.part", "/tmp/ports")
while not os.path.exists("/tmp/go"):
    time.sleep(0.1)
mcu.card(10001)
deadline = time.monotonic() + 120
while time.monotonic() < deadline and not any(c.on for c in board.history if c.channel == 0):
    time.sleep(0.05)
print("door opened" if any(c.on for c in board.history) else "door stayed locked", flush=True)
"""

WIRING = """
[[bridge.boards]]
name = "board1"
port = "$BOARD"
unit = 1
inputs = 8

[[bridge.doors]]
id = "gate"
board = "board1"
relay = 0
lock = "strike"

[[bridge.mcus]]
name = "mcu-gate"
port = "$MCU"
door = "gate"
"""


def test_a_card_swiped_at_the_installed_box_opens_the_door(box: Box) -> None:
    """The installer's first door: simulated relay board and entrance MCU on pseudo-terminals,
    wired in the installed config, `dpkg-reconfigure compound` issues the bridge's credential
    and door key, the bridge starts (before the core: it needs none), then the core, and a card
    swiped at the MCU makes the board's relay pull."""
    box.path("/tmp/sim.py").write_text(SIMULATED_HARDWARE)
    config = box.path("/etc/compound/compound.toml")
    original = config.read_text()
    as_compound = "runuser -u compound -- env COMPOUND_CONFIG=/etc/compound/compound.toml compound"
    try:
        out = box.sh(
            "rm -f /tmp/ports /tmp/go; /opt/compound/bin/python /tmp/sim.py >/tmp/sim.log 2>&1 & "
            "sim=$!; for i in $(seq 1 120); do [ -f /tmp/ports ] && break; sleep 0.5; done; "
            ". /tmp/ports; "
            f"cat >>/etc/compound/compound.toml <<EOF\n{WIRING}\nEOF\n"
            "dpkg-reconfigure compound >/tmp/reconfigure.log 2>&1; "
            f"{as_compound} door add gate --serves '*'; "
            f"{as_compound} unit add 1-1-101; "
            f"pid=$({as_compound} person add --name Wang --unit 1-1-101 --role owner --json "
            "| tr -dc 0-9); "
            f"{as_compound} card add $pid 10001; "
            "install -d -o mosquitto /run/mosquitto; "
            "mosquitto -c /etc/mosquitto/mosquitto.conf -d; "
            f"{as_unit(box, 'compound-bridge.service')} >/tmp/bridge.log 2>&1 & bridge=$!; "
            "for i in $(seq 1 240); do grep -q 'bridge running' /tmp/bridge.log && break; "
            "sleep 0.5; done; "
            f"{as_unit(box, 'compound-core.service')} >/tmp/core.log 2>&1 & core=$!; "
            "for i in $(seq 1 120); do COMPOUND_CONFIG=/etc/compound/compound.toml "
            "compound api door.list >/dev/null 2>&1 && break; sleep 1; done; "
            "touch /tmp/go; wait $sim || true; "
            f"{as_compound} events --limit 5; "
            "kill $core $bridge; wait $core $bridge || true; "
            "kill $(cat /run/mosquitto/mosquitto.pid); "
            "echo --- sim; cat /tmp/sim.log; echo --- reconfigure; cat /tmp/reconfigure.log; "
            "echo --- bridge; cat /tmp/bridge.log; echo --- core; cat /tmp/core.log"
        )
    finally:
        config.write_text(original)
    assert "bridge issued" in out, out
    assert "bridge running: 1 doors, 1 boards" in out, out
    assert "door opened" in out, out
    assert box.owner("/var/lib/compound/keys/door-gate.key")[:2] == ("compound", "compound")


def test_the_backup_service_makes_an_archive_the_box_can_verify(box: Box) -> None:
    before = set(box.path("/var/backups/compound").iterdir())
    out = box.sh(as_unit(box, "compound-backup.service") + " 2>&1")
    assert "encrypted with /etc/compound/backup.key" in out, out
    archives = sorted(set(box.path("/var/backups/compound").iterdir()) - before)
    assert len(archives) == 1 and archives[0].name.startswith("compound-fenglin-")
    assert box.owner(f"/var/backups/compound/{archives[0].name}") == (
        "compound", "compound", 0o600,
    )  # fmt: skip
    out = box.sh(
        f"COMPOUND_CONFIG=/etc/compound/compound.toml compound backup verify "
        f"/var/backups/compound/{archives[0].name}"
    )
    assert "backup intact: site fenglin" in out


def test_a_package_older_than_the_database_is_refused(box: Box) -> None:
    box.sql("INSERT INTO migrations (number, name) VALUES (9999, 'from a newer version')")
    before = box.path("/var/lib/compound/compound.db").read_bytes()
    rc, out = box.rc(f"apt-get install -y --reinstall {box.deb} 2>&1")
    assert rc != 0
    assert f"compound {version()} is older than the database /var/lib/compound/compound.db" in out
    assert "schema steps 9999" in out and "Nothing was changed" in out, out
    assert box.path("/var/lib/compound/compound.db").read_bytes() == before
    assert re.search(r"Status: install ok installed", box.sh("dpkg -s compound"))
    box.sql("DELETE FROM migrations WHERE number = 9999")


def rebuilt(deb: Path, new_version: str, work: Path) -> Path:
    """The same package under a higher version: its control part written again with the new
    Version, its data part (the 500 MB) kept as it is."""
    ctrl = work / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(ctrl)], check=True, timeout=120)
    control = ctrl / "control"
    control.write_text(re.sub(r"^Version: .*$", f"Version: {new_version}", control.read_text(),
                              flags=re.M))  # fmt: skip
    with tarfile.open(work / "control.tar.gz", "w:gz") as tar:
        for f in sorted(ctrl.iterdir()):
            info = tar.gettarinfo(str(f), arcname=f"./{f.name}")
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            with open(f, "rb") as data:
                tar.addfile(info, data)
    subprocess.run(["ar", "x", str(deb), "debian-binary", "data.tar.zst"], cwd=work, check=True)
    out = work / f"compound_{new_version}_amd64.deb"
    subprocess.run(
        ["ar", "rc", str(out), "debian-binary", "control.tar.gz", "data.tar.zst"],
        cwd=work, check=True,
    )  # fmt: skip
    assert deb_field(out, "Version") == new_version
    return out


def test_an_upgrade_backs_up_then_migrates(box: Box, tmp_path: Path) -> None:
    # The database as a version before migration 101 left it.
    box.sql("DROP INDEX people_household")
    box.sql("DROP INDEX households_unit")
    box.sql("DELETE FROM migrations WHERE number = 101")
    newer = rebuilt(box.root / str(box.deb).lstrip("/"), f"{version()}+1", tmp_path)
    shutil.copy(newer, box.path(f"/tmp/{newer.name}"))
    archives = set(box.path("/var/backups/compound").iterdir())
    out = box.sh(f"apt-get install -y /tmp/{newer.name} 2>&1")
    assert f"backing up the data before the upgrade from {version()}" in out, out
    taken = set(box.path("/var/backups/compound").iterdir()) - archives
    assert len(taken) == 1 and next(iter(taken)).name.endswith(".tar.gz.sealed")
    assert box.sql("SELECT count(*) FROM migrations WHERE number = 101") == "[(1,)]"
    query = (
        "SELECT count(*) FROM sqlite_master WHERE name IN ('people_household', 'households_unit')"
    )
    assert box.sql(query) == "[(2,)]"
    assert f"Version: {version()}+1" in box.sh("dpkg -s compound")
    assert box.owner("/var/lib/compound/compound.db")[:2] == ("compound", "compound")


def test_remove_keeps_the_data_and_purge_deletes_it(box: Box) -> None:
    out = box.sh("apt-get remove -y compound 2>&1")
    assert "data in /var/lib/compound and /var/backups/compound is kept" in out, out
    assert box.path("/var/lib/compound/compound.db").is_file()
    assert box.path("/etc/compound/backup.key").is_file()
    assert not box.path("/opt/compound/bin/compound").exists()
    out = box.sh("dpkg --purge compound 2>&1")
    assert "purging: deleting the database, keys and face templates" in out, out
    for gone in ("/var/lib/compound", "/var/backups/compound", "/etc/compound",
                 "/etc/mosquitto/compound", "/opt/compound",
                 "/etc/mosquitto/conf.d/compound.conf"):  # fmt: skip
        assert not box.path(gone).exists(), gone
