"""A throwaway Debian root to install the package into: debootstrap's minimal bookworm with
what the package depends on, made once and kept as a tar under var/debroot/ (keyed by what it
holds), unpacked fresh for each test module.

Commands run inside it through ``unshare --mount --net`` + ``chroot``: /proc and /dev are
mounted in a private mount namespace, and the network is a private loopback, so the root's
Mosquitto on port 1883 meets nothing on this machine and nothing is left mounted afterwards.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
# The package's Depends and Pre-Depends, so that installing it needs no download.
INCLUDE = ("python3.11", "mosquitto", "systemd", "openssl", "util-linux", "adduser")
CACHE = ROOT / "var/debroot"


def key() -> str:
    return hashlib.sha256(f"{SUITE} {MIRROR} {' '.join(INCLUDE)}".encode()).hexdigest()[:12]


def cached() -> Path:
    """The root's tar, made with debootstrap the first time (about a minute)."""
    tar = CACHE / f"{SUITE}-minbase-{key()}.tar"
    if tar.is_file():
        return tar
    CACHE.mkdir(parents=True, exist_ok=True)
    work = CACHE / f"build-{key()}"
    shutil.rmtree(work, ignore_errors=True)
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    subprocess.run(
        [debootstrap, "--variant=minbase", f"--include={','.join(INCLUDE)}", SUITE, str(work),
         MIRROR],
        check=True, capture_output=True, timeout=1200,
    )  # fmt: skip
    part = tar.with_suffix(".part")
    subprocess.run(["tar", "-C", str(work), "-cf", str(part), "."], check=True, timeout=600)
    part.rename(tar)
    shutil.rmtree(work, ignore_errors=True)
    return tar


def unpack(dest: Path) -> Path:
    dest.mkdir(parents=True)
    # tar as root keeps owners, modes and device nodes: a root file system.
    subprocess.run(["tar", "-C", str(dest), "-xf", str(cached())], check=True, timeout=600)
    return dest


def run(root: Path, script: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``script`` (sh) as root inside ``root``; stdout and stderr together in ``.stdout``."""
    outer = (
        'set -e; r="$1"; mount -t proc proc "$r/proc"; mount --rbind /dev "$r/dev"; '
        # Pseudo-terminals of its own (the simulated serial lines): a new devpts instance.
        'mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$r/dev/pts"; '
        'mount --bind "$r/dev/pts/ptmx" "$r/dev/ptmx"; '
        "ip link set lo up; "
        'exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 '
        'DEBIAN_FRONTEND=noninteractive /bin/sh -c "$2"'
    )
    return subprocess.run(
        ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", outer, "sh",
         str(root), script],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
    )  # fmt: skip
