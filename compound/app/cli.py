"""The ``compound`` command: every service and every administrative task of the box.

Scriptable: ``--json`` on every command that prints data; one clear line on stderr and a non-zero
exit for any mistake (exit 2 for bad input, 1 when the box cannot do it now). Administrative
commands write the database directly (``--db``); commands that act on doors go through the core
over the bus, because only the core may command a door.
"""

from __future__ import annotations

import sys

# Nothing else is imported here (not even typing): this is the console script's module, and a
# Ctrl-C that came while the commands' modules were being imported (the first seconds of any
# command) ended in a traceback, before any handler was in place.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def main(argv: list[str] | None = None) -> int:
    try:
        from compound.app.commands import run

        return run(argv)
    except KeyboardInterrupt as e:
        # What was being written is rolled back; what was committed before stays. A command
        # that got far enough to say how far gives it as the interruption's text.
        how_far = f" {e}" if str(e) else ""
        print(f"compound: interrupted{how_far}", file=sys.stderr, flush=True)
        return 130


def build_parser() -> argparse.ArgumentParser:
    from compound.app.commands import build_parser as build

    return build()


if __name__ == "__main__":
    sys.exit(main())
