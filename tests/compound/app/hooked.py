"""A command started with a ``sitecustomize`` of the test's on its path: the hook runs before
the command's first line, so a test can hold the command at a chosen point (an import, a call),
hear that it is there, and only then send it a signal. No sleeps and no race."""

from __future__ import annotations

import os
from pathlib import Path

# Ctrl-C reaches the command as it does at a terminal, even when the tests themselves were
# started in the background: a shell starts a background job with SIGINT ignored, and Python
# then leaves it ignored, so the command would never hear the test's Ctrl-C.
CTRL_C = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"


def hooked_env(tmp_path: Path, sitecustomize: str, **variables: str) -> dict[str, str]:
    """This process's environment with ``sitecustomize`` (its source) first on the path, and
    ``variables`` for the hook to read."""
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(CTRL_C + sitecustomize)
    path = os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **variables}
