"""Two commands for developers and scripts: ``compound sample`` fills an empty database with a
sample compound (the demo, or the Xi'an size the product is measured on), and ``compound api``
calls any core API method over the bus and prints the reply as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from compound.adapters.mqtt import eprint
from compound.app.context import Context
from compound.domain.model import InvalidInput
from compound.protocol.topics import valid_segment


def cmd_sample(ctx: Context) -> int:
    from devkit.sample import sample

    a = ctx.args
    say = None if ctx.json else eprint
    r = sample(ctx.store, a.size, days=a.days, seed=a.seed, scale=a.scale, say=say)
    ctx.out(
        r,
        lambda: (
            f"sample {r['size']} (seed {r['seed']}) in {ctx.store.path}: {r['buildings']} "
            f"buildings, {r['units']} units, {r['households']} households, {r['people']} "
            f"people ({r['tenants']} tenants, {r['elderly_alone']} elderly living alone), "
            f"{r['cards']} cards, {r['pins']} PINs, {r['doors']} doors, "
            f"{r['passages']} passages of history, {r['events']} events"
        ),
    )
    return 0


def cmd_api(ctx: Context) -> int:
    method = ctx.args.method
    if not valid_segment(method):
        raise InvalidInput(f"malformed API method {method!r}: e.g. status, door.list")
    params = parse_params(ctx.args.params)
    reply = ctx.api(method, params)
    ctx.out(reply)  # JSON either way: indented, or on one line with --json
    return 0


def _not_json(word: str) -> Any:
    raise InvalidInput(f"--params is not valid JSON ({word} is no JSON number); give a number")


def parse_params(text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        # NaN and Infinity are Python's, not JSON's: the core drops such a request unanswered
        params = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as e:
        raise InvalidInput(
            f"--params is not valid JSON ({e.msg} at column {e.colno}); "
            """write an object, e.g. --params '{"limit": 5}'"""
        ) from None
    if not isinstance(params, dict):
        raise InvalidInput("""--params must be a JSON object, e.g. --params '{"limit": 5}'""")
    return params


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    help_ = "fill an empty database with a sample compound (--size demo or xian)"
    sp = sub.add_parser("sample", help=help_, description=help_, parents=[common])
    sp.set_defaults(fn=cmd_sample)
    sp.add_argument(
        "--size",
        choices=["demo", "xian"],
        default="demo",
        help="demo: the 4-door demo; xian: 62 buildings, ~24,700 people, 156 doors",
    )
    sp.add_argument(
        "--days", type=int, default=0, help="days of passage history before now (0-400)"
    )
    sp.add_argument("--seed", type=int, default=1, help="same seed, same compound (default 1)")
    # A share of the xian buildings, for tests: a small compound of the same make-up.
    sp.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)

    help_ = "call a core API method over the bus and print the reply as JSON"
    sp = sub.add_parser("api", help=help_, description=help_, parents=[common])
    sp.set_defaults(fn=cmd_api)
    sp.add_argument("method", help="e.g. status, door.list, events.recent")
    sp.add_argument("--params", help="""the parameters as a JSON object, e.g. '{"limit": 5}'""")
