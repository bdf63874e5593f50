"""``people.import`` and ``doors.import`` on the core's API: the same checks and the same
all-or-nothing write as ``compound import``, problems in the reply, the sender logged."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.ports import ACTOR
from compound.services.import_api import ImportApi
from compound.store.db import Store

HEADER = "姓名,房号,身份,卡号\n"


@dataclass
class FakeCore:
    store: Store
    clock: ManualClock = field(default_factory=ManualClock)


def test_a_sheet_goes_in_whole_or_not_at_all(store: Store) -> None:
    api = ImportApi(FakeCore(store)).offers().api  # type: ignore[arg-type]
    bad = api["people.import"]({"csv": HEADER + "王五,2-1-101,业主,5001\n赵六,2-1-1x,业主,\n"})
    assert bad["ok"] is False and bad["rows"] == 2
    (problem,) = bad["errors"]
    assert (problem["line"], problem["column"]) == (3, "房号")
    assert problem["message"].startswith("malformed room number '2-1-1x'")
    assert store.query("SELECT COUNT(*) AS n FROM people")[0]["n"] == 0
    ok = api["people.import"](
        {"csv": "\ufeff" + HEADER + "王五,2-1-101,业主,5001\n", "by": "李经理", ACTOR: "console1"}
    )
    assert ok["ok"] is True and ok["rows"] == 1 and ok["cards"] == 1
    assert store.events(types=["people.imported"])[-1].data["by"] == "李经理 (console1)"
    again = api["people.import"]({"csv": HEADER + "孙七,2-1-102,业主,005001\n"})
    assert again["errors"][0]["message"] == "that card number is already in use"
    doors = api["doors.import"]({"csv": "id,serves\nb2-e1,2-1\n", "dry_run": True})
    assert doors == {**doors, "ok": True, "dry_run": True} and store.door("b2-e1") is None
    with pytest.raises(InvalidInput, match="csv must be"):
        api["people.import"]({"csv": 5})
