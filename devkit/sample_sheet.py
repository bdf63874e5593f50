"""The sample compound as the register sheets a property office keeps (``compound import``):
the people of ``devkit.sample.xian_plan`` and its doors, as CSV text with the Chinese header a
register has or the English one. Used by the import tests and ``bench/bench_import.py``.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from devkit.sample import Plan, xian_plan

PEOPLE_HEADER_ZH = (
    "姓名",
    "房号",
    "身份",
    "身份证号",
    "电话",
    "租期开始",
    "租期结束",
    "卡号",
    "密码",
    "独居",
    "出生年份",
    "户籍地",
    "分层",
)
PEOPLE_HEADER_EN = (
    "name",
    "unit",
    "role",
    "id_number",
    "phone",
    "lease_start",
    "lease_end",
    "card",
    "pin",
    "lives_alone",
    "birth_year",
    "origin",
    "layer",
)
_ROLE_ZH = {"owner": "业主", "family": "家属", "tenant": "租户", "visitor": "访客"}


def plan(seed: int = 1, scale: float = 1.0, today: date | None = None) -> Plan:
    return xian_plan(seed, today or date(2026, 6, 1), scale)


def people_csv(p: Plan, *, chinese: bool = True, limit: int | None = None) -> str:
    """The plan's residents, one row each, in the register's column order."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")  # as Excel writes it
    w.writerow(PEOPLE_HEADER_ZH if chinese else PEOPLE_HEADER_EN)
    n = 0
    for residents in p.people.values():
        for r in residents:
            if limit is not None and n >= limit:
                return out.getvalue()
            w.writerow(
                (
                    r.name,
                    r.unit,
                    _ROLE_ZH[r.role] if chinese else r.role,
                    r.id_number,
                    r.phone or "",
                    r.lease_start or "",
                    r.lease_end or "",
                    r.card or "",
                    r.pin or "",
                    ("是" if chinese else "1") if r.lives_alone else "",
                    r.birth_year,
                    r.origin or "",
                    r.layer or "",
                )
            )
            n += 1
    return out.getvalue()


def doors_csv(p: Plan) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(("id", "name", "serves", "lock"))
    for d in p.doors:
        w.writerow((d.id, d.name, " ".join(d.serves), d.lock or "strike"))
    return out.getvalue()
