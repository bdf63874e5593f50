"""A PIN the manager console can propose: random, valid (6 digits, not repeated or running) and
not in use by anyone. A PIN refused as taken tells the manager only that it cannot be used; the
console then offers one of these instead of letting the manager try others, which would find
out which PINs residents have one guess at a time."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from compound.adapters import keys
from compound.domain import validation
from compound.domain.model import InvalidInput

if TYPE_CHECKING:
    from compound.store.db import Store

TRIES = 50  # a compound uses a few thousand of the million 6-digit PINs


def in_use(store: Store, pin: str) -> bool:
    lookup = keys.lookup_hash(store.master_key, "pin", pin)
    row = store.one(
        "SELECT 1 FROM credentials WHERE kind = 'pin' AND lookup = ? AND revoked_at IS NULL",
        (lookup,),
    )
    return row is not None


def suggest_pin(store: Store) -> str:
    for _ in range(TRIES):
        pin = f"{secrets.randbelow(1_000_000):06d}"
        try:
            validation.pin(pin)
        except InvalidInput:
            continue
        if not in_use(store, pin):
            return pin
    raise InvalidInput("no free PIN found; try again")
