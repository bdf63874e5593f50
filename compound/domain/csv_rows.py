"""Reading a spreadsheet a person saved as CSV: the text, the header, and where a value is wrong.

Property offices keep their registers in Excel. Chinese Excel saves "CSV" as GBK, "CSV UTF-8"
with a byte-order mark, and "Unicode text" as tab-separated UTF-16; all of them are read here.
A header may use the English column names or the Chinese ones a register already has (姓名,
房号, ...). Every problem is a ``RowError`` naming the line of the file (the header is line 1),
the column and what to do, so a manager can fix the sheet and try again.

Pure: bytes and text in, values out; no file or database is touched.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from compound.domain import sheet_encoding
from compound.domain.model import InvalidInput

MAX_BYTES = 32 * 1024 * 1024  # about 250,000 rows of people; a register is far smaller
MAX_ROWS = 200_000
MAX_ERRORS = 1000  # reported in full; beyond this the sheet is wrong throughout


@dataclass(frozen=True)
class RowError:
    line: int  # the line of the file, the header being line 1
    column: str  # the column's name as the header wrote it ("" for the whole row)
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


class SheetError(InvalidInput):
    """The sheet cannot be imported: every problem found, in file order."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        self.errors = errors
        self.total = total  # rows read (not counting the header)
        shown = "\n".join(f"  {e}" for e in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(
            f"{len(errors)} problem(s) in {total} rows; nothing was imported:\n{shown}{more}"
        )


@dataclass(frozen=True)
class Column:
    key: str  # the name the product uses
    aliases: tuple[str, ...] = ()  # other names a register may use (Chinese)
    required: bool = False


def decode(data: bytes) -> tuple[str, str]:
    """The text of a saved sheet and the encoding it was in: UTF-8 with or without a BOM,
    UTF-16 with a BOM, or GBK (what Chinese Excel writes as plain CSV). A sheet with lines in
    both UTF-8 and GBK is refused naming the lines (``sheet_encoding``)."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"the file is {len(data) // (1024 * 1024)} MB; a register is at most "
            f"{MAX_BYTES // (1024 * 1024)} MB: split it"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        candidates: tuple[tuple[str, bytes], ...] = (("utf-8-sig", data[3:]),)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = (("utf-16", data),)
    else:
        candidates = (("utf-8", data), ("gbk", data))
    for name, raw in candidates:
        try:
            text = raw.decode(name)
        except UnicodeDecodeError:
            if name == "utf-8" and not _CONTROL_BYTES.search(raw):
                # Not all UTF-8, so GBK comes next: refused if it mixes the two line by line
                # (read whole as GBK, the UTF-8 rows' names would import garbled).
                sheet_encoding.refuse_mixed(raw)
            continue
        if "\x00" in text or _CONTROL.search(text):
            break  # decodes, but is not text: a spreadsheet file or a binary
        return text, name
    raise InvalidInput(
        "cannot read the file as text in UTF-8 or GBK: save it from Excel as "
        '"CSV UTF-8 (comma delimited)" and try again'
    )


_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f]")
# The same in the bytes (ASCII in either encoding) and NUL: a binary, not a sheet in any.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def read_rows(
    text: str, columns: tuple[Column, ...]
) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]]:
    """Each column's name as the header wrote it ({key: name}) and the rows, each as {column
    key: trimmed value} with its line number; blank rows are skipped. Raises ``SheetError`` for
    a header that is missing columns or has unknown ones, or for more than ``MAX_ROWS`` rows."""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise SheetError(
            [RowError(1, "", "the file is empty: the first line names the columns")], 0
        ) from None
    except csv.Error as e:
        raise SheetError([RowError(1, "", f"the header line cannot be read: {e}")], 0) from None
    keys, problems = _header(header, columns)
    if problems:
        raise SheetError(problems, 0)
    written = {k: name.strip().lstrip("\ufeff") for k, name in zip(keys, header, strict=True)}
    rows = []
    for row in _rows(reader, keys):
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise InvalidInput(f"more than {MAX_ROWS} rows: split the sheet")
    return written, rows


def _header(header: list[str], columns: tuple[Column, ...]) -> tuple[list[str], list[RowError]]:
    names = {_norm(c.key): c.key for c in columns}
    names.update({_norm(a): c.key for c in columns for a in c.aliases})
    keys, errors, seen = [], [], set()
    for name in header:
        key = names.get(_norm(name))
        if key is None:
            known = ", ".join(c.key for c in columns)
            errors.append(RowError(1, name, f"unknown column {name.strip()!r}; known: {known}"))
        elif key in seen:
            errors.append(RowError(1, name, f"column {key} appears twice"))
        seen.add(key or "")
        keys.append(key or "")
    for c in columns:
        if c.required and c.key not in seen:
            also = f" (or {'/'.join(c.aliases)})" if c.aliases else ""
            errors.append(RowError(1, c.key, f"the header needs a column {c.key}{also}"))
    return keys, errors


def _norm(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def _rows(reader: Iterator[list[str]], keys: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise SheetError([RowError(line + 1, "", f"cannot be read: {e}")], line - 1) from None
        line += 1
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > len(keys) and any(f.strip() for f in fields[len(keys) :]):
            yield line, {"": f"{len(fields)} fields, but the header names {len(keys)} columns"}
            continue
        yield line, {k: f.strip() for k, f in zip(keys, fields, strict=False)}


TRUE_WORDS = ("1", "yes", "y", "true", "是", "√")
FALSE_WORDS = ("", "0", "no", "n", "false", "否")


def yes_no(value: str) -> bool:
    v = value.strip().lower()
    if v in TRUE_WORDS:
        return True
    if v in FALSE_WORDS:
        return False
    raise InvalidInput(f"{value!r} is not yes or no: write 1 or 0 (是 or 否)")


def sheet_date(value: str) -> str:
    """A date as Excel may print it (2027/6/30, 2027.6.30, 2027-6-30) in ISO form."""
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", value.strip())
    if not m:
        raise InvalidInput(f"malformed date {value!r}: write YYYY-MM-DD, e.g. 2027-06-30")
    return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
