"""``compound import people|doors FILE.csv [--dry-run]``: a register sheet into the database.

The sheet's columns are in ``compound.domain.register_sheet`` (and the README). Every row is
checked first, the whole sheet against the store next; any problem is printed with its line and
column and nothing is written (exit 2). Otherwise every row is written in one transaction.
Like the other administrative commands this writes the database directly (``--db``); the core,
if it runs, decides from the same database, so imported cards open doors at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from compound.adapters.mqtt import eprint
from compound.app.context import Context, parsers
from compound.domain import register_sheet
from compound.domain.csv_rows import MAX_BYTES, SheetError, decode
from compound.domain.model import InvalidInput
from compound.store import register_import


def read_sheet(path: str) -> tuple[str, str]:
    """The text of a sheet file and its encoding; a clear ``InvalidInput`` for anything else."""
    p = Path(path)
    limit = f"a register is at most {MAX_BYTES // (1024 * 1024)} MB: split it"
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:  # refused before a byte is read: a 1 GB file is a mistake
            raise InvalidInput(f"{path} is {size // (1024 * 1024)} MB; {limit}")
        with p.open("rb") as f:  # a device or a pipe has no size: read no more than allowed
            data = f.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise InvalidInput(f"{path} goes on past the limit; {limit}")
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder; give the CSV file") from None
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from None
    try:
        return decode(data)
    except InvalidInput as e:
        raise InvalidInput(f"{path}: {e}") from None


def cmd_import(ctx: Context) -> int:
    a = ctx.args
    say = _progress(ctx)
    t0 = time.monotonic()
    text, encoding = read_sheet(a.file)
    by = a.by or os.environ.get("USER", "manager")
    try:
        if a.action == "people":
            people = register_sheet.people(text, _bar(ctx))
            say(f"{len(people)} rows read ({encoding}) and checked; checking against the store")
            r = register_import.import_people(ctx.store, people, by=by, dry_run=a.dry_run)
        else:
            doors = register_sheet.doors(text)
            say(f"{len(doors)} rows read ({encoding}) and checked; checking against the store")
            r = register_import.import_doors(ctx.store, doors, by=by, dry_run=a.dry_run)
    except SheetError as e:
        if ctx.json:
            ctx.out({"ok": False, "rows": e.total, "errors": [x.as_dict() for x in e.errors]})
        else:
            eprint(f"compound: {a.file}: {e}")
        return 2
    seconds = time.monotonic() - t0
    data: dict[str, Any] = {"ok": True, "kind": a.action, "encoding": encoding, **vars(r)}
    data["seconds"] = round(seconds, 2)
    what = "people" if a.action == "people" else "doors"
    if r.dry_run:
        text_out = f"{r.rows} {what} checked, no problems; nothing written (--dry-run)"
    else:
        text_out = f"{r.rows} {what} imported in {seconds:.1f} s"
        if a.action == "people":
            text_out += (
                f" ({r.units_created} new units, {r.cards} cards, {r.pins} PINs,"
                f" {r.events} events logged)"
            )
    ctx.out(data, text_out)
    return 0


def _bar(ctx: Context) -> register_sheet.Progress | None:
    """A bar on a terminal while the rows are checked (the longest step), nothing otherwise."""
    if ctx.json or not sys.stderr.isatty():
        return None

    def draw(done: int, total: int) -> None:
        filled = 30 * done // max(total, 1)
        end = "\n" if done == total else ""
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} rows checked{end}"
        )
        sys.stderr.flush()

    return draw


def _progress(ctx: Context) -> Any:
    # Said on a terminal only: scripts read the one result line (or --json).
    if ctx.json or not sys.stderr.isatty():
        return lambda text: None
    return lambda text: eprint(text)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    add, group = parsers(sub, common)
    g = group("import", "register people or doors from a CSV sheet (all rows or none)")
    for kind, help_ in (
        (
            "people",
            "register people from a CSV sheet: name, unit, role, id_number, phone, lease_start,"
            " lease_end, card, pin, ... (English or Chinese header; UTF-8 or GBK)",
        ),
        ("doors", "add doors from a CSV sheet: id, name, serves, lock, egress, open_time, ..."),
    ):
        sp = add(g, kind, cmd_import, help_)
        sp.add_argument("file", help="the CSV file (UTF-8 with or without BOM, or GBK)")
        sp.add_argument("--dry-run", action="store_true", help="check every row and write nothing")
        sp.add_argument("--by", help="who imports, for the log (default: $USER)")
