"""A register sheet mixing UTF-8 and GBK lines is told from a clean one line by line: read whole
as GBK, the UTF-8 rows' names imported as mojibake without a word ("张伟" as "寮犱紵"), and a
rule that only asked "valid UTF-8 and Chinese?" took real GBK names for UTF-8."""

from __future__ import annotations

import pytest

from compound.domain import sheet_encoding as se
from compound.domain.csv_rows import decode, read_rows
from compound.domain.model import InvalidInput
from compound.domain.register_sheet import PEOPLE_COLUMNS
from devkit.sample_sheet import people_csv, plan

HEADER = "姓名,房号,身份,户籍地\r\n"
ROWS = [
    "王小明,3-2-1501,业主,陕西西安雁塔",
    "张伟,3-2-1502,租户,河南周口项城",  # six UTF-8 bytes, valid GBK too: "寮犱紵"
    "李娜,3-2-1503,家属,",
    "欧阳娜娜,3-2-1504,租户,甘肃兰州城关",
    "王伟,3-2-1505,业主,",
    "刘洋,3-2-1506,租户,四川成都锦江",
]


def sheet(utf8_rows: set[int] = frozenset(), base: str = "gbk") -> bytes:  # type: ignore[assignment]
    """The sheet with the rows at those indexes (0 = the first row, line 2) in the other
    encoding."""
    other = "utf-8" if base == "gbk" else "gbk"
    lines = [HEADER.encode(base)]
    lines += [(r + "\r\n").encode(other if i in utf8_rows else base) for i, r in enumerate(ROWS)]
    return b"".join(lines)


def test_clean_sheets_in_either_encoding_are_not_mixed() -> None:
    assert se.mixed(sheet()) is None
    assert se.mixed(sheet(base="utf-8")) is None
    assert se.mixed(b"name,unit,role\r\nWang,1-1-101,owner\r\n") is None


def test_a_whole_sample_register_saved_as_gbk_is_clean() -> None:
    """The sample compound's people, every line Chinese: none is taken for UTF-8."""
    data = people_csv(plan(seed=5, scale=0.05)).encode("gbk")
    assert data.count(b"\n") > 500
    assert se.mixed(data) is None


@pytest.mark.parametrize("row", range(len(ROWS)))
def test_one_utf8_row_in_a_gbk_sheet_is_named_by_its_line(row: int) -> None:
    """Each row, pasted alone as UTF-8, is found: the two-character names (valid GBK too, the
    ones that imported garbled) as well as the rest."""
    m = se.mixed(sheet({row}))
    assert m == se.Mixed(se.GBK, (row + 2,), ())
    with pytest.raises(InvalidInput) as e:
        se.refuse_mixed(sheet({row}))
    assert str(e.value) == (
        f"line {row + 2} is UTF-8 while the sheet is GBK: save the whole sheet in one encoding"
    )


def test_gbk_rows_in_a_utf8_sheet_are_named_the_other_way_round() -> None:
    with pytest.raises(InvalidInput) as e:
        se.refuse_mixed(sheet({1, 4}, base="utf-8"))
    assert str(e.value) == (
        "2 lines are GBK while the sheet is UTF-8 (3, 6): save the whole sheet in one encoding"
    )


def test_the_majority_decides_and_many_lines_are_counted_with_the_first_five_named() -> None:
    data = HEADER.encode("gbk") + b"".join(
        (f"住户{i},1-1-{100 + i},业主,\r\n").encode("utf-8" if i % 3 else "gbk") for i in range(30)
    )
    m = se.mixed(data)
    assert m is not None and m.sheet == se.UTF8  # 20 UTF-8 rows against 10 GBK and the header
    assert m.other == (1, *range(2, 32, 3))
    with pytest.raises(InvalidInput) as e:
        se.refuse_mixed(data)
    assert str(e.value) == (
        "11 lines are GBK while the sheet is UTF-8 (1, 2, 5, 8, 11, ...):"
        " save the whole sheet in one encoding"
    )


def test_a_row_with_a_cell_in_each_encoding_is_named_as_neither() -> None:
    row = "赵六,1-1-101,业主,".encode("gbk") + "西安市".encode() + b"\r\n"
    data = sheet() + row
    assert se.line_reading(row.rstrip()) == "neither"
    assert se.mixed(data) == se.Mixed(se.GBK, (), (len(ROWS) + 2,))
    with pytest.raises(InvalidInput, match=r"^line 8 is neither UTF-8 nor GBK: save the whole"):
        se.refuse_mixed(data)


def test_a_utf8_name_pasted_into_a_gbk_row_is_found_though_the_row_reads_as_gbk() -> None:
    row = "张伟".encode() + ",1-1-101,业主,陕西西安".encode("gbk")
    assert row.decode("gbk").startswith("寮犱紵")  # read whole, the name is garbled
    assert se.line_reading(row) == "neither"
    assert se.mixed(sheet() + row + b"\r\n") == se.Mixed(se.GBK, (), (len(ROWS) + 2,))


@pytest.mark.parametrize("text", ["洹颁啊", "路", "皎长", "稷父", "皓叮"])
def test_gbk_text_that_is_also_valid_utf8_is_not_taken_for_utf8(text: str) -> None:
    """Each is valid UTF-8 in GBK, reading as Chinese or a name's dot (路 as "·", 洹颁啊 as two
    rare characters): "valid UTF-8 and Chinese" alone took them for UTF-8. Their GBK reading
    is the more ordinary Chinese."""
    raw = text.encode("gbk")
    assert raw.decode("utf-8")
    assert se.reading(raw) is None
    assert se.reading(text.encode()) == se.UTF8


@pytest.mark.parametrize("name", ["瞿钰", "任璟", "岳淼", "赵涵", "张伟"])
def test_names_with_rare_characters_saved_as_utf8_are_told(name: str) -> None:
    """Valid GBK too, and each missed by a simpler measure of how ordinary a reading is (the
    share of common characters alone, or of GB2312 ones alone): rare family and given names,
    a character outside GB2312 (璟)."""
    raw = name.encode()
    assert raw.decode("gbk")
    assert se.reading(raw) == se.UTF8


def test_latin_and_ascii_lines_are_no_evidence() -> None:
    assert se.reading(b"Wang Wei,1-1-101,owner") is None
    assert se.reading("Müller,1-1-101,owner".encode()) is None  # valid GBK too: not told
    assert se.reading("Müller,1-1-101,owner".encode("gbk")) == se.GBK


def test_a_quoted_cell_over_two_lines_keeps_the_line_numbers_the_import_gives() -> None:
    """The records are numbered as the CSV reader numbers the rows (the header being line 1),
    so the line named is the one every other problem of the sheet is named by."""
    text = HEADER + '王小明,3-2-1501,业主,"陕西\r\n西安"\r\n张伟,3-2-1502,租户,\r\n'
    pasted = "张伟,3-2-1502,租户,"
    data = text.encode("gbk").replace(pasted.encode("gbk"), pasted.encode())
    assert [n for n, _ in se.records(data)][:3] == [1, 2, 3]
    _, rows = read_rows(text, PEOPLE_COLUMNS)
    assert [line for line, r in rows if r["name"] == "张伟"] == [3]
    assert se.mixed(data) == se.Mixed(se.GBK, (3,), ())


def test_decode_refuses_a_mixed_sheet_and_still_reads_clean_ones() -> None:
    assert decode(sheet())[1] == "gbk"
    assert decode(sheet(base="utf-8"))[1] == "utf-8"
    with pytest.raises(InvalidInput, match=r"^line 3 is UTF-8 while the sheet is GBK"):
        decode(sheet({1}))
    with pytest.raises(InvalidInput, match="cannot read the file as text in UTF-8 or GBK"):
        decode(b"PK\x03\x04\x14\x00" + "张伟".encode() + "李娜".encode("gbk"))  # not a sheet
