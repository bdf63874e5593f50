"""``compound demo`` part: the three touchscreens, each in its own process, on the demo's bus."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devkit.env import DemoEnv

ROLES = ("door", "officer", "manager")


class Windows:
    def __init__(self, env: DemoEnv) -> None:
        self.env = env
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        if self.env.headless:
            return
        b = self.env.bus_config
        for role in ROLES:
            # The door panel stands at the gate, where the face demo's camera looks.
            where = ["--door", "gate", "--camera", "gate-cam"] if role == "door" else []
            cmd = [
                sys.executable,
                "-m",
                "compound.app.cli",
                "ui",
                "--role",
                role,
                "--broker-port",
                str(b.port),
                "--broker-protocol",
                str(b.protocol),
                "--site",
                self.env.topics.site,
                *where,
            ]
            self.procs.append(subprocess.Popen(cmd))
        self.env.say("touchscreens: door panel, officer wall and manager console opened")

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
