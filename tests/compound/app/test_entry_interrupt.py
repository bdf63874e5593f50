"""Ctrl-C in the first seconds of any ``compound`` command, while its modules are still being
imported (about 2 s on a box): it says the command was interrupted and ends with 130, as a
Ctrl-C later does, instead of a Python traceback.

Not left to chance: the command is started with a ``sitecustomize`` on its path that holds the
import of one of the command's modules, says so on stderr, and waits there; only then is the
SIGINT sent, to a process that is certainly still importing."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compound.app.hooked import hooked_env

HOLD = '''
import os, sys, time


class Hold:
    """Holds the import of $HOLD_IMPORT until a signal ends the wait."""

    def find_spec(self, name, path=None, target=None):
        if name != os.environ["HOLD_IMPORT"]:
            return None
        sys.meta_path.remove(self)
        os.write(2, f"holding {name}\\n".encode())
        while True:
            time.sleep(60)


sys.meta_path.insert(0, Hold())
'''

SCRIPT = shutil.which("compound", path=str(Path(sys.executable).parent))


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([SCRIPT], id="console-script"),
        pytest.param([sys.executable, "-m", "compound.app.cli"], id="python-m"),
    ],
)
@pytest.mark.parametrize("held", ["compound.adapters.mqtt", "compound.app.backup_cli"])
def test_ctrl_c_while_the_command_is_still_importing(
    tmp_path: Path, command: list[str | None], held: str
) -> None:
    assert command[0] is not None, "the console script is installed beside the interpreter"
    env = hooked_env(tmp_path, HOLD, HOLD_IMPORT=held, COMPOUND_DB=str(tmp_path / "c.db"))
    proc = subprocess.Popen(
        [*(c for c in command if c is not None), "log", "verify"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline() == f"holding {held}\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "Traceback" not in err, err
    assert err.strip() == "compound: interrupted"
    assert proc.returncode == 130 and out == ""
    assert not (tmp_path / "c.db").exists()
