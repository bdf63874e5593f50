"""A sheet larger than one bus request, sent to ``people.import`` in parts: nothing is checked or
written before the last part, then the whole sheet goes in one transaction or not at all, with
the file's own line numbers; parts out of order, too large or too late leave nothing behind."""

from __future__ import annotations

from typing import Any

import pytest

from compound.domain.clock import ManualClock
from compound.domain.model import InvalidInput
from compound.ports import ACTOR
from compound.services import import_parts
from compound.services.import_api import ImportApi
from compound.store.db import Store
from tests.compound.test_import_api import FakeCore
from ui.viewmodels.csv_import import _size as json_size
from ui.viewmodels.csv_import import split_sheet

HEADER = "name,unit,role,card\n"


def people(store: Store) -> int:
    return int(store.query("SELECT COUNT(*) AS n FROM people")[0]["n"])


def send(api: Any, text: str, sheet: str = "s1", actor: str = "console1") -> list[dict[str, Any]]:
    parts = split_sheet(text, budget=2000)
    assert len(parts) > 2 and "".join(parts) == text
    return [
        api({"csv": c, "sheet": sheet, "part": i, "last": i == len(parts) - 1, ACTOR: actor})
        for i, c in enumerate(parts)
    ]


def test_a_sheet_in_parts_is_checked_whole_and_written_whole(store: Store) -> None:
    api = ImportApi(FakeCore(store)).offers().api["people.import"]  # type: ignore[arg-type]
    rows = [f"住户{i},4-1-{100 + i},owner,{70000 + i}" for i in range(200)]
    bad = rows.copy()
    bad[180] = "坏行,4-1-9x,owner,"  # line 182 of the file, in a late part
    bad[3] = f"重复卡,4-1-999,owner,{70000 + 150}"  # line 5: line 152's card, in a later part
    replies = send(api, HEADER + "\n".join(bad) + "\n")
    assert [r["received"] for r in replies[:-1]] == list(range(1, len(replies)))
    assert people(store) == 0, "nothing may be written before the last part"
    last = replies[-1]
    assert last["ok"] is False and last["rows"] == 200
    where = sorted((e["line"], e["column"]) for e in last["errors"])
    assert where == [(152, "card"), (182, "unit")], last["errors"]
    assert "as line 5" in last["errors"][0]["message"]
    assert people(store) == 0
    done = send(api, HEADER + "\n".join(rows) + "\n", sheet="s2")[-1]
    assert done["ok"] is True and done["rows"] == 200 and done["cards"] == 200
    assert people(store) == 200


def test_parts_out_of_order_too_large_or_too_late_leave_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = FakeCore(store, ManualClock())
    api = ImportApi(core).offers().api["people.import"]  # type: ignore[arg-type]
    rows = HEADER + "".join(f"住户{i},4-1-{100 + i},owner,\n" for i in range(300))
    parts = split_sheet(rows, budget=2000)
    api({"csv": parts[0], "sheet": "a", "part": 0, ACTOR: "c1"})
    with pytest.raises(InvalidInput, match="part 2 .* part 1 was expected"):
        api({"csv": parts[2], "sheet": "a", "part": 2, ACTOR: "c1"})
    # the sheet was dropped: its next part is refused too, and nothing is written
    with pytest.raises(InvalidInput, match="send it again from the start"):
        api({"csv": parts[1], "sheet": "a", "part": 1, "last": True, ACTOR: "c1"})
    # another user's sheet of the same id is another sheet
    api({"csv": parts[0], "sheet": "b", "part": 0, ACTOR: "c1"})
    with pytest.raises(InvalidInput, match="was expected"):
        api({"csv": parts[1], "sheet": "b", "part": 1, "last": True, ACTOR: "c2"})
    core.clock.advance(import_parts.TTL_S + 1)
    with pytest.raises(InvalidInput, match="was expected"):
        api({"csv": parts[1], "sheet": "b", "part": 1, "last": True, ACTOR: "c1"})
    monkeypatch.setattr(import_parts, "MAX_SHEET_BYTES", 3000)
    api({"csv": parts[0], "sheet": "c", "part": 0, ACTOR: "c1"})
    with pytest.raises(InvalidInput, match="over 2 KB"):
        api({"csv": parts[1], "sheet": "c", "part": 1, ACTOR: "c1"})
    assert people(store) == 0


def test_split_sheet_keeps_the_text_and_the_budget() -> None:
    text = "name,unit\n" + "".join(f'"王{i}\n换行",1-1-{i}\n' for i in range(300)) + "x" * 9000
    parts = split_sheet(text, budget=3000)
    assert "".join(parts) == text
    assert all(json_size(p) <= 3000 for p in parts)
    assert split_sheet("") == [""]
