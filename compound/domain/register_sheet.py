"""The people and door registers as sheets: their columns, and each row checked into the values
the store keeps (``compound import people|doors``, the manager console's import).

Each value goes through the same checks as one registered by hand (``compound.domain.validation``
and ``UnitAddress``/``Scope``), so a sheet accepts exactly what the console and ``compound person
add`` accept. A row's problems are all reported, each with its line and column; rows that repeat
an ID number, a card or a PIN of an earlier row are named with that row's line. Checks that need
the database (an ID number or card already registered, a door that exists) are the store's.

Columns of a people sheet (English or Chinese header; only the first three are required):

    name 姓名 | unit 房号 (building-entrance-room, 3-2-1501) | role 身份 (owner 业主, family 家属,
    tenant 租户, visitor 访客) | id_number 身份证号 | id_type 证件类型 (resident-id by default) |
    phone 电话 | lease_start 租期开始 | lease_end 租期结束 | card 卡号 | pin 密码 |
    lives_alone 独居 (1/0, 是/否) | birth_year 出生年份 | origin 户籍地 | layer 分层 (tenants:
    focus 重点层, watch 关注层, stable 稳定层)

A tenant needs the ID number and the lease end (the floating-population register keeps both).

Columns of a door sheet: id 编号 | name 名称 | serves 服务范围 (buildings, entrances or units,
separated by spaces or ``;``; ``*`` for a main gate) | lock 锁型 (strike, maglock) | egress 出门
按钮 (1/0) | open_time 开门秒数 | held_open 超时报警秒数 | schedule 时段.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from compound.domain import validation
from compound.domain.csv_rows import (
    MAX_ERRORS,
    Column,
    RowError,
    SheetError,
    read_rows,
    sheet_date,
    yes_no,
)
from compound.domain.model import InvalidInput, Role, UnitAddress
from compound.domain.search import initials

# The register's words (以房管人): identity documents and the layers tenants are watched in.
ID_TYPES = ("resident-id", "passport", "hk-macau-permit", "taiwan-permit", "foreign-permit")
HOUSEHOLD_CLASSES = ("focus", "general", "trusted")
LAYERS = ("focus", "watch", "stable")
LAYER_FOR_CLASS = {"focus": "focus", "general": "watch", "trusted": "stable"}

PEOPLE_COLUMNS = (
    Column("name", ("姓名",), required=True),
    Column("unit", ("房号", "房屋", "门牌号"), required=True),
    Column("role", ("身份", "角色", "人员类别"), required=True),
    Column("id_number", ("身份证号", "身份证号码", "证件号码")),
    Column("id_type", ("证件类型",)),
    Column("phone", ("电话", "手机", "手机号", "联系电话")),
    Column("lease_start", ("租期开始", "租赁开始")),
    Column("lease_end", ("租期结束", "租赁结束", "租期截止")),
    Column("card", ("卡号", "门禁卡号")),
    Column("pin", ("密码", "开门密码")),
    Column("lives_alone", ("独居",)),
    Column("birth_year", ("出生年份",)),
    Column("origin", ("户籍地", "籍贯")),
    Column("layer", ("分层", "管理层级")),
)
DOOR_COLUMNS = (
    Column("id", ("编号", "门编号"), required=True),
    Column("name", ("名称", "门名称")),
    Column("serves", ("服务范围",), required=True),
    Column("lock", ("锁型",)),
    Column("egress", ("出门按钮",)),
    Column("open_time", ("开门秒数",)),
    Column("held_open", ("超时报警秒数",)),
    Column("schedule", ("时段",)),
)
_WORDS = {
    "role": {
        "业主": "owner",
        "家属": "family",
        "家庭成员": "family",
        "租户": "tenant",
        "访客": "visitor",
    },
    "id_type": {"身份证": "resident-id", "居民身份证": "resident-id", "护照": "passport"},
    "layer": {"重点层": "focus", "关注层": "watch", "稳定层": "stable"},
    "lock": {"电插锁": "strike", "电磁锁": "maglock", "磁力锁": "maglock"},
}


@dataclass(frozen=True)
class PersonRow:
    line: int
    name: str
    unit: UnitAddress
    role: Role
    initials: str
    id_type: str | None = None
    id_number: str | None = None
    phone: str | None = None
    lease_start: date | None = None
    lease_end: date | None = None
    card: str | None = None  # the number as printed
    pin: str | None = None
    lives_alone: bool = False
    birth_year: int | None = None
    origin: str | None = None
    layer: str | None = None


@dataclass(frozen=True)
class DoorRow:
    line: int
    id: str
    name: str
    serves: tuple[str, ...]
    lock: str = "strike"
    egress: bool = True
    open_time_s: float = 5.0
    held_open_s: float = 60.0
    schedule: str | None = None


T = TypeVar("T")
Progress = Callable[[int, int], None]  # (rows checked, rows in the sheet), for a progress bar
PROGRESS_EVERY = 500


class _Row:
    """One row's values, checked column by column; every failure is kept with its column."""

    def __init__(self, line: int, values: dict[str, str], header: dict[str, str]) -> None:
        self.line, self.values, self.header = line, values, header
        self.errors: list[RowError] = []

    def get(self, key: str, check: Callable[[str], T], default: T) -> T:
        raw = self.values.get(key, "")
        if not raw:
            return default
        try:
            return check(_WORDS.get(key, {}).get(raw, raw))
        except InvalidInput as e:
            self.fail(key, str(e))
            return default

    def need(self, key: str, message: str) -> None:
        if not self.values.get(key):
            self.fail(key, message)

    def fail(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.line, self.header.get(key, key), message))


def people(text: str, progress: Progress | None = None) -> list[PersonRow]:
    """Every row of a people sheet, checked; ``SheetError`` with every problem otherwise."""
    rows: list[PersonRow] = []
    firsts: dict[tuple[str, str], int] = {}  # (column, value) -> the line it first appeared on
    names: dict[str, str] = {}  # name -> initials: a compound repeats names, pinyin is slow
    errors: list[RowError] = []
    total, checked = _sheet(text, PEOPLE_COLUMNS, errors, progress)
    for line, r in checked:
        r.need("name", "every person needs a name")
        r.need("unit", "every person needs a unit (building-entrance-room, e.g. 3-2-1501)")
        r.need("role", "every person needs a role: owner, family, tenant or visitor")
        name = r.get("name", validation.person_name, "")
        unit = r.get("unit", UnitAddress.parse, None)
        role = r.get("role", validation.role, None)
        id_number = r.get("id_number", validation.id_number, None)
        id_type = r.get("id_type", _id_type, "resident-id" if id_number else None)
        start = r.get(
            "lease_start", lambda v: validation.as_date(sheet_date(v), "lease start"), None
        )
        end = r.get("lease_end", lambda v: validation.as_date(sheet_date(v), "lease end"), None)
        if start and end and end < start:
            r.fail("lease_end", f"lease end {end} is before lease start {start}")
        card = r.get("card", validation.card_number, None)
        pin = r.get("pin", validation.pin, None)
        layer = r.get("layer", _layer, None)
        if role is Role.TENANT:
            r.need("id_number", "a tenant needs the ID number (floating-population register)")
            r.need("lease_end", "a tenant needs the lease end (YYYY-MM-DD)")
        elif layer is not None:
            r.fail("layer", "only tenants have a layer")
        for key, value in (
            ("id_number", id_number),
            ("card", validation.card_lookup(card) if card else None),
            ("pin", pin),
        ):
            if value is not None:
                first = firsts.setdefault((key, value), line)
                if first != line:
                    r.fail(key, f"the same {_WHAT[key]} as line {first}; each must differ")
        row = PersonRow(
            line=line,
            name=name,
            unit=unit or UnitAddress(1, 1, "101"),
            role=role or Role.OWNER,
            initials=names.get(name) or names.setdefault(name, initials(name)),
            id_type=id_type,
            id_number=id_number,
            phone=r.get("phone", validation.phone, None),
            lease_start=start,
            lease_end=end,
            card=card,
            pin=pin,
            lives_alone=r.get("lives_alone", yes_no, False),
            birth_year=r.get("birth_year", _birth_year, None),
            origin=r.get("origin", validation.origin, None),
            layer=layer,
        )
        _keep(r, row, rows, errors)
    _finish(errors, total)
    return rows


def doors(text: str, progress: Progress | None = None) -> list[DoorRow]:
    """Every row of a door sheet, checked; ``SheetError`` with every problem otherwise."""
    rows: list[DoorRow] = []
    errors: list[RowError] = []
    firsts: dict[str, int] = {}
    total, checked = _sheet(text, DOOR_COLUMNS, errors, progress)
    for line, r in checked:
        r.need("id", "every door needs an id (letters, digits, '-', e.g. b3-e2)")
        r.need("serves", "every door serves something: a building (3), an entrance (3-2) or *")
        door_id = r.get("id", validation.door_id, "")
        no_scopes: tuple[str, ...] = ()
        serves = r.get("serves", _scopes, no_scopes)
        open_time = r.get("open_time", lambda v: _number(v, "open time"), 5.0)
        held_open = r.get("held_open", lambda v: _number(v, "held-open time"), 60.0)
        try:
            validation.door_times(open_time, held_open)
        except InvalidInput as e:
            r.fail("open_time" if not 1 <= open_time <= 60 else "held_open", str(e))
        if door_id:
            first = firsts.setdefault(door_id, line)
            if first != line:
                r.fail("id", f"door {door_id} is also on line {first}")
        row = DoorRow(
            line=line,
            id=door_id,
            name=r.get("name", validation.door_name, "") or door_id,
            serves=serves,
            lock=str(r.get("lock", validation.lock_type, "strike")),
            egress=r.get("egress", yes_no, True),
            open_time_s=open_time,
            held_open_s=held_open,
            schedule=r.values.get("schedule") or None,
        )
        _keep(r, row, rows, errors)
    _finish(errors, total)
    return rows


_WHAT = {"id_number": "ID number", "card": "card number", "pin": "PIN"}


def _sheet(
    text: str, columns: tuple[Column, ...], errors: list[RowError], progress: Progress | None
) -> tuple[int, Iterator[tuple[int, _Row]]]:
    """How many rows the sheet has, and each row to check (rows past ``MAX_ERRORS`` problems
    are counted, not checked: the report is already long enough to act on)."""
    written, rows = read_rows(text, columns)
    return len(rows), _checked(rows, written, errors, progress)


def _checked(
    rows: list[tuple[int, dict[str, str]]],
    written: dict[str, str],
    errors: list[RowError],
    progress: Progress | None,
) -> Iterator[tuple[int, _Row]]:
    for n, (line, values) in enumerate(rows, 1):
        if progress is not None and (n % PROGRESS_EVERY == 0 or n == len(rows)):
            progress(n, len(rows))
        if len(errors) >= MAX_ERRORS:
            return
        r = _Row(line, values, written)
        if "" in values:
            r.fail("", values[""])
            errors.extend(r.errors)
            continue
        yield line, r


def _keep(r: _Row, row: T, rows: list[T], errors: list[RowError]) -> None:
    if r.errors:
        errors.extend(r.errors)
    else:
        rows.append(row)


def _finish(errors: list[RowError], total: int) -> None:
    if errors:
        raise SheetError(errors, total)
    if total == 0:
        raise SheetError([RowError(2, "", "the sheet has a header but no rows")], 0)


def _id_type(value: str) -> str:
    if value not in ID_TYPES:
        raise InvalidInput(f"unknown ID type {value!r}: use {', '.join(ID_TYPES)}")
    return value


def _layer(value: str) -> str:
    if value not in LAYERS:
        raise InvalidInput(
            f"unknown layer {value!r}: use focus, watch or stable (重点层 关注层 稳定层)"
        )
    return value


def _birth_year(value: str) -> int:
    if not re.fullmatch(r"(19|20)\d\d", value):
        raise InvalidInput(f"malformed birth year {value!r}: four digits, e.g. 1948")
    return int(value)


def _number(value: str, what: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"malformed {what} {value!r}: a number of seconds") from None


def _scopes(value: str) -> tuple[str, ...]:
    parts = [p for p in re.split(r"[\s;；|]+", value) if p]
    return tuple(str(s) for s in validation.door_scopes(parts))
