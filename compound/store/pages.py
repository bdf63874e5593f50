"""One page of a query's rows, read from SQLite, with how many rows there are in all.

A list worked out in SQL (the visits due, the elderly not seen) is ordered and cut in SQLite,
so only the page's rows become Python objects on the API thread. The total comes in the same
read, as a window count over the whole result; only a page past the end (no row to carry it)
costs a second read, a plain count.
"""

from __future__ import annotations

from typing import Any, Protocol

from compound.domain.paging import Page

_TOTAL = "total_rows_"  # the window count's column, taken off each row


class Reads(Protocol):
    def read(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]: ...


def read_page(
    store: Reads, sql: str, args: tuple[Any, ...], order: str, page: Page
) -> tuple[list[dict[str, Any]], int]:
    """The rows of ``sql`` (a SELECT without ORDER BY or LIMIT) in ``order`` (column names of
    its result, ending in a unique one so pages never overlap), one ``page``, and the total.
    Read on the store's reader connection (``Store.read``): never behind the door decisions."""
    rows = store.read(
        f"SELECT *, COUNT(*) OVER () AS {_TOTAL} FROM ({sql})"  # noqa: S608 - our own SQL
        f" ORDER BY {order} LIMIT ? OFFSET ?",
        (*args, page.size, page.offset),
    )
    if rows:
        total = int(rows[0][_TOTAL])
        for r in rows:
            del r[_TOTAL]
        return rows, total
    if page.offset == 0:
        return [], 0
    counted = store.read(f"SELECT COUNT(*) AS n FROM ({sql})", args)  # noqa: S608
    return [], int(counted[0]["n"])
