"""The doors a bridge serves now: its own retained word, read no further than its registration.

The core knows a bridge's doors from its registration (``compound devices add --door``), which
is what the broker's ACL is written from. A door can leave a bridge's wiring while the
registration still lists it; its retained Home Assistant configs then outlive it, and nothing
else the bridge publishes says it is gone (a retained message does not say who wrote it, or
when). So a bridge publishes, retained, the door ids it is wired for on
``device/<its broker user>/doors`` (``Topics.bridge_doors``), which only that user may write
(``compound.protocol.acl``), on every (re)connect before its discovery configs.

The core takes that list only as far as the registration goes (``served_doors``): a door
counts as served by a bridge when it is in both. A bridge can so hide only its own registered
doors, which it can already do by clearing their configs, never another bridge's. A bridge that
never published a list (older firmware) keeps its registration.

The list is a JSON array of door ids, each a valid topic segment, at most ``MAX_DOORS`` of
them; anything else is refused (``ValueError``) before it is looked at further.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from compound.protocol.topics import valid_segment

MAX_DOORS = 500  # a bridge drives a few boards: a few dozen doors at most
MAX_BYTES = MAX_DOORS * 67 + 2  # each id at most 64 characters, quoted, a comma; the brackets


def encode_door_list(doors: Iterable[str]) -> bytes:
    """The retained payload of a bridge wired for ``doors``; ``ValueError`` when it could not
    be read back (a door id that is not a topic segment, too many doors)."""
    ids = sorted(set(doors))
    if len(ids) > MAX_DOORS:
        raise ValueError(f"a bridge serves at most {MAX_DOORS} doors, not {len(ids)}")
    for door in ids:
        if not valid_segment(door):
            raise ValueError(f"door id {door!r}: use 1-64 letters, digits, '_', '.', '-'")
    return json.dumps(ids, separators=(",", ":")).encode()


def decode_door_list(payload: bytes) -> frozenset[str]:
    """The door ids of a bridge's list; ``ValueError`` saying why one is refused."""
    if len(payload) > MAX_BYTES:
        raise ValueError(f"{len(payload)} bytes, more than {MAX_BYTES}")
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError) as e:  # not UTF-8, not JSON, nested too deep
        raise ValueError(f"not a JSON list: {e.__class__.__name__}") from None
    if not isinstance(value, list):
        raise ValueError("not a JSON list")
    if len(value) > MAX_DOORS:
        raise ValueError(f"{len(value)} doors, more than {MAX_DOORS}")
    if not all(isinstance(d, str) and valid_segment(d) for d in value):
        raise ValueError("an entry that is not a door id")
    return frozenset(value)


def served_doors(
    registered: Mapping[str, Iterable[str]], lists: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    """The doors some bridge serves: each bridge's registered doors (``registered``: bridge ->
    doors), cut down to its own list where it has published one (``lists``: bridge -> doors).
    A list never adds a door the registration does not give that bridge."""
    served: set[str] = set()
    for bridge, doors in registered.items():
        own = lists.get(bridge)
        served.update(d for d in doors if own is None or d in own)
    return frozenset(served)
