"""The box's installation and backups, measured: `./dev deb` (build time, package size),
installing the package into a throwaway Debian root (tests/install/debroot.py), and `compound
backup create | verify | restore` on the Xi'an-size sample compound, against the bare SQLite
online backup of the same database (the baseline, in the same run).

    .venv/bin/python bench/bench_install.py [--days 1] [--runs 3] [--skip-package]

Needs root (the throwaway root is entered with unshare and chroot). Results in
bench/results/install.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.common import write  # noqa: E402
from tests.install import debroot  # noqa: E402

COMPOUND = str(ROOT / ".venv/bin/compound")


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the children, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=3600)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout


def package(figures: dict[str, Any]) -> None:
    version = next(
        line.split("=", 1)[1].strip()
        for line in (ROOT / "setup.cfg").read_text().splitlines()
        if line.startswith("version")
    )
    wall, cpu, _ = timed(["nice", "-n", "10", str(ROOT / "dev"), "deb"])
    deb = ROOT / f"dist/compound_{version}_amd64.deb"
    installed_kb = int(
        subprocess.run(["dpkg-deb", "-f", str(deb), "Installed-Size"], capture_output=True,
                       text=True, check=True).stdout
    )  # fmt: skip
    figures["build"] = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
    figures["package"] = {"deb_mb": round(deb.stat().st_size / 1e6, 1),
                          "installed_mb": round(installed_kb / 1024, 1)}  # fmt: skip
    had_cache = any(debroot.CACHE.glob(f"*-{debroot.key()}.tar"))
    t0 = time.perf_counter()
    debroot.cached()
    figures["debroot"] = {"cached_before": had_cache, "make_s": round(time.perf_counter() - t0, 1)}
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        t0 = time.perf_counter()
        root = debroot.unpack(Path(tmp) / "root")
        figures["debroot"]["unpack_s"] = round(time.perf_counter() - t0, 1)
        shutil.copy(deb, root / "tmp" / deb.name)
        t0 = time.perf_counter()
        r = debroot.run(root, f"apt-get install -y --no-install-recommends /tmp/{deb.name}")
        install = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(r.stdout[-3000:])
        t0 = time.perf_counter()
        r = debroot.run(root, "dpkg --purge compound")
        figures["install"] = {"apt_install_s": round(install, 1),
                              "purge_s": round(time.perf_counter() - t0, 1)}  # fmt: skip


def backups(figures: dict[str, Any], days: int, runs: int) -> None:
    from compound.store.backup import copy_database

    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        box = Path(tmp)
        (box / "mosquitto").mkdir()
        (box / "mosquitto/passwd").write_text("core:$7$x\n")
        (box / "mosquitto/acl").write_text("user core\n")
        cfg = box / "compound.toml"
        cfg.write_text(
            f'[site]\nid = "xian"\n[store]\npath = "{box}/lib/compound.db"\n'
            f'[security]\npassword_file = "{box}/mosquitto/passwd"\n'
            f'acl_file = "{box}/mosquitto/acl"\nbroker_pid_file = ""\n'
            f'[backup]\ndir = "{box}/backups"\n'
        )
        env = dict(os.environ, COMPOUND_CONFIG=str(cfg))
        env.pop("COMPOUND_DB", None)
        timed([COMPOUND, "init", "--site", "xian"], env)
        wall, _, _ = timed([COMPOUND, "sample", "--size", "xian", "--days", str(days)], env)
        db = box / "lib/compound.db"
        figures["sample"] = {"days": days, "wall_s": round(wall, 1),
                             "db_mb": round(db.stat().st_size / 1e6, 1)}  # fmt: skip
        base, create, verify, restore, sizes = [], [], [], [], []
        for i in range(runs):
            t0 = time.perf_counter()
            copy_database(db, box / f"plain-{i}.db")
            base.append(time.perf_counter() - t0)
            (box / f"plain-{i}.db").unlink()
            w, _, out = timed([COMPOUND, "backup", "create", "--json"], env)
            create.append(w)
            archive = json.loads(out)["archive"]
            sizes.append(Path(archive).stat().st_size)
            w, _, _ = timed([COMPOUND, "backup", "verify", archive], env)
            verify.append(w)
            w, _, _ = timed([COMPOUND, "backup", "restore", archive], env)
            restore.append(w)
            time.sleep(1.1)  # archive names carry the second
        med = statistics.median
        figures["backup"] = {
            "runs": runs,
            "sqlite_online_backup_s": round(med(base), 2),
            "create_s": round(med(create), 2),
            "verify_s": round(med(verify), 2),
            "restore_s": round(med(restore), 2),
            "archive_mb": round(med(sizes) / 1e6, 1),
            "create_ratio_to_baseline": round(med(create) / med(base), 1),
        }


def markdown(f: dict[str, Any]) -> str:
    lines = ["# Installing the box and backing it up", ""]
    if "build" in f:
        b, p, d, i = f["build"], f["package"], f["debroot"], f["install"]
        lines += [
            "`./dev deb` with uv's cache warm (the wheels already downloaded once), at `nice 10`;",
            "the throwaway root is debootstrap's minimal bookworm with the package's dependencies",
            "(`tests/install/debroot.py`), installed with `apt-get install ./compound_*.deb`.",
            "",
            "| step | figure |",
            "|---|---|",
            f"| `./dev deb` build | {b['wall_s']} s wall, {b['cpu_s']} s CPU |",
            f"| package (`.deb`, zstd) | {p['deb_mb']} MB; installed {p['installed_mb']} MB |",
            f"| make the throwaway root (debootstrap, once, then cached) | "
            f"{d['make_s']} s{' (was cached)' if d['cached_before'] else ''} |",
            f"| unpack the cached root | {d['unpack_s']} s |",
            f"| `apt-get install` into it (setup, keys, bytecode, units) | "
            f"{i['apt_install_s']} s |",
            f"| `dpkg --purge` | {i['purge_s']} s |",
            "",
        ]
    s, k = f["sample"], f["backup"]
    lines += [
        f"Backups of `compound sample --size xian --days {s['days']}` ({s['db_mb']} MB database, "
        f"built in {s['wall_s']} s), median of {k['runs']} runs, each a whole `compound` "
        "command (Python start included); the baseline is SQLite's online backup of the same "
        "database alone, in the same run.",
        "",
        "| what | median |",
        "|---|---|",
        f"| baseline: SQLite online backup to a file | {k['sqlite_online_backup_s']} s |",
        f"| `backup create` (copy + integrity check + tar.gz + seal) | {k['create_s']} s "
        f"({k['create_ratio_to_baseline']}x the baseline) |",
        f"| archive size | {k['archive_mb']} MB |",
        f"| `backup verify` (open + sums + integrity + log chain) | {k['verify_s']} s |",
        f"| `backup restore` (verify, then put back) | {k['restore_s']} s |",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-package", action="store_true", help="only the backups")
    a = ap.parse_args()
    figures: dict[str, Any] = {}
    if not a.skip_package:
        package(figures)
    backups(figures, a.days, a.runs)
    write("install", figures, markdown(figures))


if __name__ == "__main__":
    main()
