"""The ``compound`` command's parser and how a command's errors are said: each group of
subcommands adds its own parsers; ``run`` parses and runs one command. Importing this module
imports every command's code (a few seconds on a box); ``compound.app.cli`` imports it only
once it can take a Ctrl-C."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from typing import Any

from compound.adapters.keys import KeyError_
from compound.adapters.mqtt import ApiError, BusError, eprint
from compound.adapters.platform_db import PlatformDbError
from compound.app import (
    admin_cli,
    backup_cli,
    community_cli,
    devices,
    face_cli,
    import_cli,
    officer_cli,
    platform_cli,
    report_cli,
    sample_cli,
    schedule_cli,
    setup_cli,
    zone_cli,
)
from compound.app.context import Context
from compound.config import ConfigError
from compound.domain.model import InvalidInput
from compound.store.db import StoreError
from firmware_bridge import cli as bridge_cli
from ui import cli as ui_cli

# Every group of subcommands, in the order ``compound --help`` lists them; each adds its own
# parsers with ``register(sub, common)``.
COMMANDS: tuple[Callable[[Any, argparse.ArgumentParser], None], ...] = (
    admin_cli.register,
    setup_cli.register,
    schedule_cli.register,
    community_cli.register,
    report_cli.register,
    sample_cli.register,
    import_cli.register,
    devices.register,
    backup_cli.register,
    face_cli.register,
    ui_cli.register,
    bridge_cli.register,
    platform_cli.register,
    zone_cli.register,
    officer_cli.register,
)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable JSON")

    p = argparse.ArgumentParser(prog="compound", description="The compound edge appliance.")
    p.add_argument("--db", help="database file (default: $COMPOUND_DB or the config's store.path)")
    p.add_argument("--config", help="config file (TOML; default: $COMPOUND_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub, common)
    _bounded_numbers(p)
    return p


def _bounded_numbers(parser: argparse.ArgumentParser) -> None:
    """Every number on the command line, checked by one rule: a whole number fits the database's
    integers (a larger id or limit was an OverflowError from SQLite), and no number is nan or
    inf (nan passes every bound, since it compares false with each)."""
    for action in parser._actions:
        if action.type is int:
            action.type = _whole
        elif action.type is float:
            action.type = _number
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _bounded_numbers(child)


def _whole(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not -(2**63) <= n < 2**63:
        raise argparse.ArgumentTypeError(f"{text} is too large a number")
    return n


def _number(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (e.g. 4 or 2.5)")
    return x


def run(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run its command: one line and an exit code for what goes wrong (Ctrl-C
    is left to ``cli.main``, which is in place before this module is imported)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx: Context | None = None
    try:
        ctx = Context(args)
        return int(args.fn(ctx))
    except InvalidInput as e:
        eprint(f"compound: {e}")
        return 2
    except ConfigError as e:
        eprint(f"compound: config: {e}")
        return 2
    except (StoreError, KeyError_, BusError, PlatformDbError) as e:
        eprint(f"compound: {e}")
        return 1
    except ApiError as e:
        eprint(f"compound: refused: {e}")
        return 2
    except BrokenPipeError:
        # `compound events | head` closes the pipe; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:
        # A folder that cannot be made or written (read-only, a file in the way, full): the
        # file and the system's reason, not a traceback.
        where = f"{e.filename}: " if e.filename else ""
        eprint(f"compound: {where}{e.strerror or e}")
        return 1
    finally:
        if ctx is not None:
            ctx.close()
