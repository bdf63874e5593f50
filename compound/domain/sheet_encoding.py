"""Which encoding each line of a saved sheet is in: a sheet mixing UTF-8 and GBK lines is refused.

A register exported from Excel or WPS on Chinese Windows is GBK; rows pasted into it from a
UTF-8 source (a web page, a phone, another tool's export) stay UTF-8. Read whole as GBK, such
a sheet imports the UTF-8 rows' names as mojibake without a word, because UTF-8 bytes of
Chinese characters are often valid GBK too ("张伟" reads as "寮犱紵"). So each line is read
on its own, cell by cell:

- A cell that is valid UTF-8 but not GBK, or GBK but not UTF-8, is that encoding.
- A cell valid in both is UTF-8 when its UTF-8 reading is Chinese text (CJK characters and
  punctuation, nothing else) unless its GBK reading is the more ordinary Chinese both by the
  share of characters in GB2312 and by that share with the 3,755 common ones (level 1)
  counted twice. UTF-8 misread as GBK is a run of rare characters ("寮犱紵"); GBK misread as
  UTF-8 one of rare or non-Chinese ones. "Valid UTF-8 and Chinese" alone took short GBK
  strings (皎长, 稷父, 路 read as "·") for UTF-8 (``bench/results/sheet_encoding.md``).
  Anything else valid in both (a Latin name) is no evidence either way.
- A line is in the encoding of its cells; with cells in both (a name pasted from a UTF-8
  source into a GBK row, which reads as GBK whole) or a cell in neither, it is in neither.

The sheet is in the encoding most of its lines are in; the lines in the other one (or, when
there are none, those in neither) are named so the manager can fix them.

A "line" is a record as the import counts it (``csv_rows.RowError``): a newline inside quotes
continues it. The quote, comma, tab and newline bytes never occur inside a GBK or UTF-8
character, so records and cells are found in the bytes before knowing the encoding.

Pure: bytes in, a finding out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from compound.domain.model import InvalidInput

UTF8 = "UTF-8"
GBK = "GBK"
Reading = Literal["UTF-8", "GBK", "neither"]
SHOWN = 5  # line numbers given in a refusal; the count says how many in all
# What separates cells; each byte is below 0x40, so never inside a GBK or UTF-8 character.
_CELLS = re.compile(rb'[,\t"]')
# GB2312's 6,763 characters (rows 0xB0 to 0xF7; 0xD7FA-0xD7FE unused), and its level 1: the
# 3,755 most used (rows 0xB0 to 0xD7). Mojibake is mostly characters outside both.
GB2312 = frozenset(
    bytes((a, b)).decode("gb2312")
    for a in range(0xB0, 0xF8)
    for b in range(0xA1, 0xFF)
    if not (a == 0xD7 and b >= 0xFA)
)
COMMON = frozenset(ch for ch in GB2312 if ch.encode("gb2312")[0] < 0xD8)


def _ideograph(ch: str) -> bool:
    c = ord(ch)
    return 0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF or 0x20000 <= c <= 0x3134F


def _chinese(ch: str) -> bool:
    """A character Chinese text in a register is written with (beside ASCII)."""
    c = ord(ch)
    return (
        _ideograph(ch)  # CJK unified, extension A, B to G (rare characters in names)
        or 0xF900 <= c <= 0xFAFF  # compatibility ideographs
        or 0x3000 <= c <= 0x303F  # CJK punctuation 、。《》【】
        or 0xFF00 <= c <= 0xFFEF  # full-width forms ，：（）
        or 0x2010 <= c <= 0x2027  # dashes, quotes “”, ellipsis
        or c in (0x00B7, 0x00D7, 0xFEFF)  # the dot in 阿依古丽·买买提, ×, a BOM
    )


def _ordinary(text: str) -> tuple[float, float]:
    """How ordinary Chinese the text is, two ways: the share of its non-ASCII characters in
    GB2312, and the same with the common ones counted twice."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    known = sum(ch in GB2312 for ch in wide)
    return known / len(wide), (known + sum(ch in COMMON for ch in wide)) / len(wide)


def reading(raw: bytes) -> Reading | None:
    """The encoding a cell's bytes are in, "neither", or None for no evidence either way
    (ASCII, or text that reads sensibly in both)."""
    if raw.isascii():
        return None
    try:
        as_utf8: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        as_utf8 = None
    try:
        as_gbk: str | None = raw.decode("gbk")
    except UnicodeDecodeError:
        as_gbk = None
    if as_utf8 is None:
        return "neither" if as_gbk is None else "GBK"
    if as_gbk is None:
        return "UTF-8"
    wide = [ch for ch in as_utf8 if ord(ch) > 0x7F]
    if not all(_chinese(ch) for ch in wide) or not any(_ideograph(ch) for ch in wide):
        return None
    # UTF-8 unless the GBK reading is the more ordinary both ways: either measure alone
    # missed real names ("任璟" by the first, "岳淼" by the second; bench/bench_sheet_encoding).
    u, g = _ordinary(as_utf8), _ordinary(as_gbk)
    return None if g[0] > u[0] and g[1] > u[1] else "UTF-8"


def line_reading(raw: bytes, seen: dict[bytes, Reading | None] | None = None) -> Reading | None:
    """The encoding one line's cells are in, "neither" when a cell is or when cells differ
    (a name pasted in UTF-8 into a GBK row: the line as a whole reads as GBK, garbled).
    ``seen``: the cells read before (a register repeats its roles and places)."""
    if raw.isascii():
        return None
    seen = {} if seen is None else seen
    found = set()
    for cell in _CELLS.split(raw):
        if cell.isascii():
            continue
        r = seen[cell] if cell in seen else seen.setdefault(cell, reading(cell))
        if r is not None:
            found.add(r)
    if len(found) == 1:
        return found.pop()
    return "neither" if found else None


def records(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Each record of the sheet with its line number (the header is line 1), without its line
    end; a newline inside a quoted field belongs to the record."""
    line, start, pending, quotes = 0, 0, 0, 0
    for piece in data.split(b"\n"):
        if not quotes:
            line, start = line + 1, pending
        quotes ^= piece.count(b'"') & 1
        pending += len(piece) + 1
        if not quotes:
            yield line, data[start : pending - 1].rstrip(b"\r")
    if quotes:  # an unclosed quote: the rest is one record, as the CSV reader takes it
        yield line, data[start:]


@dataclass(frozen=True)
class Mixed:
    """A sheet whose lines are not all in one encoding."""

    sheet: str  # UTF8 or GBK: the encoding most lines are in
    other: tuple[int, ...]  # lines in the other encoding
    neither: tuple[int, ...]  # lines readable in neither (two encodings in one line)


def mixed(data: bytes) -> Mixed | None:
    """The sheet's lines in another encoding than most, or None when every line that tells is
    in one encoding (or none tells: not text in either)."""
    found: dict[str, list[int]] = {UTF8: [], GBK: [], "neither": []}
    first = ""
    seen: dict[bytes, Reading | None] = {}
    for line, raw in records(data):
        r = line_reading(raw, seen)
        if r is not None:
            found[r].append(line)
            first = first or (r if r != "neither" else "")
    if not first:
        return None
    utf8, gbk = len(found[UTF8]), len(found[GBK])
    sheet = first if utf8 == gbk else (UTF8 if utf8 > gbk else GBK)
    other = found[GBK if sheet == UTF8 else UTF8]
    if not other and not found["neither"]:
        return None
    return Mixed(sheet, tuple(other), tuple(found["neither"]))


def refuse_mixed(data: bytes) -> None:
    """Raise ``InvalidInput`` naming the lines when the sheet mixes encodings."""
    m = mixed(data)
    if m is not None:
        raise InvalidInput(_refusal(m))


def _refusal(m: Mixed) -> str:
    """The lines in the other encoding (or, when there are none, those in neither) and what to
    do; at most ``SHOWN`` line numbers, with how many there are in all."""
    lines = m.other or m.neither
    shown = ", ".join(str(n) for n in lines[:SHOWN]) + (", ..." if len(lines) > SHOWN else "")
    count = len(lines)
    # Each message whole in one string: the screens' table of refusals is checked against them.
    if not m.other:
        if count == 1:
            return f"line {shown} is neither UTF-8 nor GBK: save the whole sheet in one encoding"
        return (
            f"{count} lines are neither UTF-8 nor GBK ({shown}):"
            " save the whole sheet in one encoding"
        )
    other = GBK if m.sheet == UTF8 else UTF8
    if count == 1:
        return (
            f"line {shown} is {other} while the sheet is {m.sheet}:"
            " save the whole sheet in one encoding"
        )
    return (
        f"{count} lines are {other} while the sheet is {m.sheet} ({shown}):"
        " save the whole sheet in one encoding"
    )
