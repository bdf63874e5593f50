"""The manager console's CSV import: the template's columns, the sheet cut into bus-sized parts,
and the job's state.

The console does not read the rows itself: it sends the sheet's text to the core's
``people.import`` (``compound/services/import_api.py``), which checks it with the same code as
``compound import people`` and writes all of it in one transaction, or nothing. A sheet larger
than one request (16 KB) goes in parts the core keeps until the last one
(``compound/services/import_parts.py``), so the guarantee is the same for any size the core
accepts: every row registered, or none.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

# The template's columns (the core also reads the Chinese names and more columns).
CSV_FIELDS = (
    "name",
    "unit",
    "role",
    "lease_start",
    "lease_end",
    "id_number",
    "phone",
    "card",
    "pin",
)
# Bytes of sheet text per request, as JSON: under the bus's 16 KB with room for the envelope.
PART_BYTES = 12_000


def _size(text: str) -> int:
    """Bytes ``text`` takes inside the request's JSON (quotes and line ends are escaped)."""
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2


def split_sheet(text: str, budget: int = PART_BYTES) -> list[str]:
    """The sheet's text in parts of at most ``budget`` JSON bytes, cut at line ends (a longer
    line is cut inside). Joined, the parts are the text exactly: the core's line numbers are
    the file's."""
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        size = _size(line)
        if used + size > budget and current:
            parts.append("".join(current))
            current, used = [], 0
        while size > budget:  # one line longer than a part: cut it where it must be
            cut = budget // 6  # a character is at most 6 bytes as JSON (\\uXXXX)
            parts.append(line[:cut])
            line = line[cut:]
            size = _size(line)
        current.append(line)
        used += size
    if current:
        parts.append("".join(current))
    return parts or [text]


@dataclass
class ImportJob:
    """One sheet being imported: the parts sent, then the core's answer for the whole."""

    parts: list[str]
    sheet: str = field(default_factory=lambda: secrets.token_hex(8))
    sent: int = 0  # parts the core has taken
    finished: bool = False
    ok: bool = False  # the whole sheet was registered
    rows: int = 0  # rows the core read
    imported: int = 0  # people registered (all rows, or 0)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)
    failure: str = ""  # why nothing was imported, when it was not the rows

    @property
    def progress(self) -> float:
        return 1.0 if self.finished else self.sent / max(1, len(self.parts))
