"""Reading a CSV of residents for the manager console's import: the columns it knows, the rows
to send, the lines that cannot be read, and the job's progress."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

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


@dataclass
class ImportJob:
    rows: list[dict[str, str]]
    done: int = 0
    failed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (CSV line, message)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def progress(self) -> float:
        return 1.0 if not self.rows else self.done / self.total


def parse_csv(text: str) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    """Rows to import, and the lines that cannot be read at all (with the CSV line number)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [f for f in ("name", "unit", "role") if f not in header]
    if missing:
        return [], [(1, f"the header needs the columns {', '.join(missing)}")]
    unknown = [h for h in header if h not in CSV_FIELDS]
    if unknown:
        return [], [(1, f"unknown columns {', '.join(unknown)}; known: {', '.join(CSV_FIELDS)}")]
    rows, errors = [], []
    for i, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append((i, "more fields than the header has"))
            continue
        if not any(row.values()):
            continue
        row["_line"] = str(i)
        rows.append(row)
    return rows, errors
