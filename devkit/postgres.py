"""A throwaway PostgreSQL for tests and benches: ``initdb`` and ``pg_ctl`` from Debian's
``postgresql-15`` in a temporary directory, on a free loopback port, trust authentication.

PostgreSQL refuses to run as root: started by root (CI), the cluster is owned by and run as the
``postgres`` user that the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from compound.adapters.broker import free_port


def pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class TempPostgres:
    port: int = 0
    workdir: Path | None = None
    _user: str | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self._user is not None:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def start(self) -> TempPostgres:
        bindir = pg_bin()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.port = self.port or free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="city-pg-"))
        if os.geteuid() == 0:
            self._user = "postgres"
            pw = pwd.getpwnam(self._user)
            os.chown(self.workdir, pw.pw_uid, pw.pw_gid)
        data = self.workdir / "data"
        self._run(
            str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        self.pg_ctl("start", "-w", "-t", "30", "-l", str(self.workdir / "log"))
        return self

    def pg_ctl(self, action: str, *extra: str) -> None:
        bindir = pg_bin()
        if bindir is None or self.workdir is None:
            raise RuntimeError("start() the database first (and install postgresql)")
        opts = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run(
            str(bindir / "pg_ctl"), action, "-D", str(self.workdir / "data"), "-o", opts, *extra
        )

    def restart(self, mode: str = "immediate") -> None:
        """Stop (``immediate`` is a crash: no shutdown checkpoint) and start again."""
        self.pg_ctl("stop", "-m", mode, "-w")
        self.pg_ctl("start", "-w", "-t", "30", "-l", str(self.workdir or ".") + "/log")

    def stop(self) -> None:
        if self.workdir is None:
            return
        try:
            self.pg_ctl("stop", "-m", "fast", "-w")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir = None
