"""What every part of the store relies on: ``StoreError`` and ``StoreBase``.

The ``Store`` in ``db.py`` is put together from one part per aggregate (the log, people,
credentials, doors, alarms), each a mixin in its own module. ``StoreBase`` declares what those
parts use from each other and from the connection: the attributes the ``Store`` sets up and, as
abstract methods, the calls one part makes into another. A ``Store`` missing one of them cannot
be built (mypy and Python both refuse), and no part needs to import ``db.py``.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import Any

from compound.domain.clock import Clock
from compound.domain.model import Credential, Event, Person, Schedule
from compound.store.id_numbers import IdNumbers


class StoreError(RuntimeError):
    """The database cannot be used (unreadable, locked, from a newer version)."""


def row_id(value: int | None) -> int:
    """The id of the row an INSERT just wrote."""
    if value is None:  # pragma: no cover - sqlite always sets it
        raise StoreError("insert returned no row id")
    return int(value)


class StoreBase(ABC):
    clock: Clock
    conn: sqlite3.Connection
    master_key: bytes
    ids: IdNumbers  # seals and hashes ID numbers (id_numbers.py)
    _lock: threading.RLock
    # Events appended in the open transaction, handed to the event hooks once it commits.
    _after_commit: list[Event]

    # -- the connection (db.py) -----------------------------------------------------------

    @abstractmethod
    def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    @abstractmethod
    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]: ...

    @abstractmethod
    def one(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> dict[str, Any] | None: ...

    @abstractmethod
    def setting(self, key: str, default: str | None = None) -> str | None: ...

    @abstractmethod
    def set_setting(self, key: str, value: str) -> None: ...

    @abstractmethod
    def _reader(self) -> sqlite3.Connection | None:
        """This thread's read-only connection (None for a database in memory)."""

    # -- the other parts ------------------------------------------------------------------

    @abstractmethod
    def append_event(
        self,
        type_: str,
        *,
        at: float | None = None,
        door_id: str | None = None,
        person_id: int | None = None,
        data: dict[str, Any] | None = None,
        uplink: dict[str, Any] | None = None,
    ) -> Event: ...

    @abstractmethod
    def person(self, person_id: int) -> Person: ...

    @abstractmethod
    def find_credential(self, kind: str, value: str) -> tuple[Credential | None, Person | None]: ...

    @abstractmethod
    def schedule_id(self, name: str) -> int: ...

    @abstractmethod
    def schedule_ref(self, schedule: str | None) -> int | None: ...

    @abstractmethod
    def schedules(self) -> dict[int, Schedule]: ...
