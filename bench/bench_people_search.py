"""The people search at the compound's real size: 25,000 people in 5,500 units.

The rows are written in bulk (one transaction, executemany, initials worked out as the store
does), not registered one by one: what is measured is the search, not the registration. Each
kind of search text is timed as the API serves it (``people_page``, on the reader connection),
median of 5 calls after one warm-up; the query plan of each is printed, so an index that is not
used shows as a SCAN.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compound.domain.clock import SystemClock  # noqa: E402
from compound.domain.model import mask_id_number  # noqa: E402
from compound.domain.search import initials, terms  # noqa: E402
from compound.services.people_api import people_page  # noqa: E402
from compound.store import people_search  # noqa: E402
from compound.store.db import Store  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉晶建国建华小明小红志强海燕文博子涵浩然梓萱一诺欣怡"  # noqa: E501
N_PEOPLE = 25_000


def build(store: Store, rng: random.Random) -> None:
    units: list[tuple[str, int, int, str]] = []
    for b in range(1, 65):
        for e in range(1, 4):
            for floor in range(1, 30):
                units.append((f"{b}-{e}-{floor}01", b, e, f"{floor}01"))
    units = units[:5500]
    now = time.time()
    with store.transaction() as c:
        c.executemany("INSERT INTO buildings (number) VALUES (?)", [(b,) for b in range(1, 65)])
        c.executemany(
            "INSERT INTO entrances (building, number) VALUES (?, ?)",
            [(b, e) for b in range(1, 65) for e in range(1, 4)],
        )
        c.executemany(
            "INSERT INTO units (address, building, entrance, room) VALUES (?, ?, ?, ?)", units
        )
        c.execute("INSERT INTO households (unit_id, created_at) SELECT id, 0 FROM units")
        rows = []
        for i in range(N_PEOPLE):
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
            )
            # ID numbers are sealed at rest (compound/store/id_numbers.py): row ids are 1..N.
            number = "".join(rng.choice("0123456789") for _ in range(17)) + rng.choice(
                "0123456789X"
            )
            rows.append(
                (
                    name,
                    1 + i % len(units),
                    rng.choice(("owner", "family", "family", "tenant")),
                    store.ids.seal(i + 1, number),
                    store.ids.hash(number),
                    mask_id_number(number),
                    "138" + "".join(rng.choice("0123456789") for _ in range(8)),
                    now,
                    initials(name),
                )
            )
        rows[12_345] = ("王小明", *rows[12_345][1:8], "wxm")
        c.executemany(
            "INSERT INTO people (name, household_id, role, id_sealed, id_hash, id_masked, phone,"
            " created_at, initials) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        c.executemany(
            "INSERT INTO credentials (person_id, kind, lookup, label, created_at)"
            " VALUES (?, 'card', ?, '', 0)",
            [(pid, str(700_000 + pid)) for pid in range(1, N_PEOPLE + 1, 2)],
        )


def plan(store: Store, q: str) -> str:
    t = terms(q)
    assert t is not None
    ids = people_search._id_matches(store, t.id_tail) if t.id_tail is not None else []
    parts, args = people_search._hits(t, ids)
    rows = store.conn.execute(
        f"EXPLAIN QUERY PLAN {' UNION '.join(parts)}",  # noqa: S608
        args,
    ).fetchall()
    return "; ".join(r[-1] for r in rows)


def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "people.db", SystemClock(), Path(d) / "keys")
        t0 = time.perf_counter()
        build(store, rng)
        print(f"built {N_PEOPLE} people in {time.perf_counter() - t0:.1f} s")
        someone = store.one("SELECT * FROM people WHERE id = 4321")
        assert someone is not None
        cases: list[tuple[str, dict[str, Any]]] = [
            ("no search, page 1", {}),
            ("no search, page 400", {"page": 400}),
            ("initials wxm", {"q": "wxm"}),
            ("name part 小明 (scans names)", {"q": "小明"}),
            ("whole name 王小明 (scans names)", {"q": "王小明"}),
            ("unit 12-2", {"q": "12-2"}),
            ("ID tail 6 digits", {"q": (store.person(4321).id_number or "")[-6:]}),
            ("phone last 4", {"q": someone["phone"][-4:]}),
            ("card", {"q": str(700_000 + 4321)}),
            ("role tenant, page 3", {"role": "tenant", "page": 3}),
            ("unit 12-2-501 (filter)", {"unit": "12-2-501"}),
        ]
        print("| search | total | median of 5 (ms) | plan |")
        print("|---|---|---|---|")
        for label, params in cases:
            people_page(store, params)  # warm-up: the reader connection, the page cache
            times = []
            for _ in range(5):
                t1 = time.perf_counter()
                r = people_page(store, {"size": 50, **params})
                times.append(time.perf_counter() - t1)
            how = plan(store, params["q"]) if params.get("q") else ""
            print(f"| {label} | {r['total']} | {statistics.median(times) * 1000:.2f} | {how} |")
        store.close()


if __name__ == "__main__":
    main()
