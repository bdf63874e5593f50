"""Register sheets as a property office saves them: the encodings Excel writes, Chinese or English
headers, and every bad row named by its line and column so the manager can fix the sheet."""

from __future__ import annotations

from datetime import date

import pytest

from compound.domain import register_sheet
from compound.domain.csv_rows import RowError, SheetError, decode
from compound.domain.model import InvalidInput, Role

HEADER = "name,unit,role,id_number,phone,lease_start,lease_end,card,pin\r\n"
GOOD = (
    "王小明,3-2-1501,owner,610113198001011234,13800000000,,,0012345678,\r\n"
    "李娜,3-2-1501,family,,,,,,\r\n"
    "张伟,5-1-302,tenant,610113199002021238,,2026/3/1,2027.2.28,88776655,482913\r\n"
)


def problems(text: str) -> list[RowError]:
    with pytest.raises(SheetError) as e:
        register_sheet.people(text)
    return e.value.errors


def test_a_good_sheet_gives_checked_rows_with_their_lines() -> None:
    rows = register_sheet.people(HEADER + GOOD)
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[0].name == "王小明" and rows[0].initials == "wxm"
    assert rows[0].id_type == "resident-id" and rows[1].id_type is None
    assert rows[0].card == "0012345678"
    tenant = rows[2]
    assert tenant.role is Role.TENANT
    assert (tenant.lease_start, tenant.lease_end) == (date(2026, 3, 1), date(2027, 2, 28))
    assert tenant.pin == "482913"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ((HEADER + GOOD).encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + (HEADER + GOOD).encode("utf-8"), "utf-8-sig"),
        ((HEADER + GOOD).encode("gbk"), "gbk"),
        ((HEADER + GOOD).replace(",", "\t").encode("utf-16"), "utf-16"),
    ],
)
def test_the_encodings_excel_writes_are_read(data: bytes, encoding: str) -> None:
    text, found = decode(data)
    assert found == encoding
    assert [r.name for r in register_sheet.people(text)] == ["王小明", "李娜", "张伟"]


def test_bytes_that_are_not_text_are_refused_with_what_to_do() -> None:
    with pytest.raises(InvalidInput, match="UTF-8 or GBK"):
        decode(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))  # an .xlsx, not a CSV


def test_the_chinese_header_of_a_register_is_understood() -> None:
    text = "姓名,房号,身份,身份证号,卡号,独居\n王建国,1-1-101,业主,610113194501011234,123456,是\n"
    (row,) = register_sheet.people(text)
    assert row.role is Role.OWNER and row.lives_alone and row.card == "123456"


def test_a_header_with_unknown_or_missing_columns_names_them() -> None:
    errs = problems("name,room,role\n王小明,3-2-1501,owner\n")
    assert [(e.line, e.column) for e in errs] == [(1, "room"), (1, "unit")]
    assert "known: name, unit, role" in errs[0].message


def test_every_bad_value_is_reported_with_line_and_column() -> None:
    text = HEADER + (
        "王小明,3-2-1501,owner,610113198001011234,,,,,\r\n"
        ",3-2-1502,landlord,12,phone!,,,12ab,111111\r\n"
        "赵六,3-2,tenant,,,2027-01-01,2026-01-01,,\r\n"
    )
    errs = problems(text)
    got = {(e.line, e.column) for e in errs}
    assert got == {
        (3, "name"),
        (3, "role"),
        (3, "id_number"),
        (3, "phone"),
        (3, "card"),
        (3, "pin"),
        (4, "unit"),
        (4, "lease_end"),  # before the start
        (4, "id_number"),  # a tenant needs one
    }
    assert str(errs[0]).startswith("line 3, column ")


def test_rows_repeating_an_earlier_rows_number_card_or_pin_name_that_line() -> None:
    text = HEADER + (
        "甲,1-1-101,owner,610113198001011234,,,,5001,482913\r\n"
        "乙,1-1-102,owner,610113198001011234,,,,005001,482913\r\n"
    )
    errs = problems(text)
    assert {(e.line, e.column) for e in errs} == {(3, "id_number"), (3, "card"), (3, "pin")}
    assert all("line 2" in e.message for e in errs)


def test_an_empty_sheet_and_a_header_alone_are_refused() -> None:
    assert problems("")[0].message.startswith("the file is empty")
    assert problems(HEADER)[0].message == "the sheet has a header but no rows"


def test_a_row_with_more_fields_than_the_header_is_reported() -> None:
    errs = problems("name,unit,role\n王小明,3-2-1501,owner,extra\n")
    assert errs == [RowError(2, "", "4 fields, but the header names 3 columns")]


def test_door_sheets_are_checked_the_same_way() -> None:
    rows = register_sheet.doors(
        "编号,名称,服务范围,锁型\nb3-e2,3号楼2单元,3-2,电磁锁\ngate-s,South gate,*,strike\n"
    )
    assert [(r.id, r.serves, r.lock) for r in rows] == [
        ("b3-e2", ("3-2",), "maglock"),
        ("gate-s", ("*",), "strike"),
    ]
    with pytest.raises(SheetError) as e:
        register_sheet.doors("id,serves,open_time\nb/1,3,5\nb2,,99\nb3,3;4,x\nb2,5,5\n")
    got = {(x.line, x.column) for x in e.value.errors}
    assert got == {(2, "id"), (3, "serves"), (3, "open_time"), (4, "open_time"), (5, "id")}


def test_progress_is_reported_as_rows_are_checked() -> None:
    rows = "".join(f"人{i},1-1-{100 + i},owner\n" for i in range(1, 1201))
    seen: list[tuple[int, int]] = []
    register_sheet.people("name,unit,role\n" + rows, lambda done, total: seen.append((done, total)))
    assert seen == [(500, 1200), (1000, 1200), (1200, 1200)]
