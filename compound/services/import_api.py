"""Register sheets over the bus: ``people.import`` and ``doors.import`` for the manager console.

The same path as ``compound import``: the sheet's text is checked row by row
(``compound.domain.register_sheet``), then against the store, then written in one transaction or
not at all (``compound.store.register_import``). A request is bounded (16 KB, about 150 people),
so a console sends a sheet of one building's tenants this way; a whole compound's register goes
through ``compound import people`` on the box.

The reply: ``{"ok": true, "rows", "units_created", "cards", "pins", "events", "dry_run"}``, or
for a sheet with problems ``{"ok": false, "rows", "errors": [{"line", "column", "message"}]}``
(nothing written). Parameters: ``csv`` (the sheet's text), ``dry_run``, ``by``.

A sheet larger than one request is sent in parts (``sheet``, ``part``, ``last``;
``compound.services.import_parts``): each part but the last is answered ``{"ok": true,
"received": N}`` and nothing is checked or written until the last, which is answered for the
whole sheet as above.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from compound.domain import register_sheet
from compound.domain.csv_rows import SheetError
from compound.domain.model import InvalidInput
from compound.domain.paging import flag
from compound.ports import actor_of
from compound.services.extension import Offers
from compound.services.import_parts import SheetParts
from compound.store import register_import

if TYPE_CHECKING:
    from compound.services.core import Core


class ImportApi:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.parts = SheetParts(core.clock.monotonic)

    def offers(self) -> Offers:
        return Offers(api={"people.import": self.people, "doors.import": self.doors})

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def people(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            text = self.parts.add(actor_of(p), p, _text(p, part="sheet" in p))
            if text is None:  # a part of a sheet: kept, nothing checked or written yet
                return {"ok": True, "received": self.parts.received(actor_of(p), p["sheet"])}
            rows = register_sheet.people(text)
            r = register_import.import_people(
                self.core.store, rows, by=_by(p), dry_run=flag(p, "dry_run")
            )
        except SheetError as e:
            return _problems(e)
        return {"ok": True, **asdict(r)}

    def doors(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            rows = register_sheet.doors(_text(p))
            r = register_import.import_doors(
                self.core.store, rows, by=_by(p), dry_run=flag(p, "dry_run")
            )
        except SheetError as e:
            return _problems(e)
        return {"ok": True, **asdict(r)}


def _text(p: dict[str, Any], part: bool = False) -> str:
    text = p.get("csv")
    if part and isinstance(text, str) and text and p.get("part") != 0:
        return text  # a later part: any run of the sheet's lines
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("csv must be the sheet's text, its first line naming the columns")
    return text.lstrip("\ufeff")


def _by(p: dict[str, Any]) -> str:
    """Who imports: the name given, and the broker user who sent it (who it really is)."""
    name = str(p.get("by") or "manager console")[:100]
    actor = actor_of(p)
    return f"{name} ({actor})" if actor else name


def _problems(e: SheetError) -> dict[str, Any]:
    return {"ok": False, "rows": e.total, "errors": [x.as_dict() for x in e.errors[:200]]}
