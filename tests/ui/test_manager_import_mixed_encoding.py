"""The import tab, in a real window against the real core on a real Mosquitto, refuses a GBK
sheet with a row pasted in UTF-8, naming the line, and sends nothing: read whole as GBK, the
row's name ("柏璟", whose UTF-8 bytes are valid GBK) went in as "鏌忕挓" without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_a_sheet_mixing_utf8_and_gbk_rows_is_refused_and_nothing_is_imported(
    site: Site, driver: Driver, tmp_path: Path
) -> None:
    from ui.i18n import Strings

    rows = ["name,unit,role,lease_end,card"] + [
        f"住户{i},1-1-{600 + i},owner,,{70000 + i}" for i in range(6)
    ]
    gbk = [(r + "\r\n").encode("gbk") for r in rows]
    mixed = tmp_path / "mixed.csv"
    pasted = "柏璟,1-1-699,owner,,70099\r\n"
    assert pasted.encode().decode("gbk")  # the file reads whole as GBK: the silent case
    mixed.write_bytes(b"".join(gbk[:4]) + pasted.encode() + b"".join(gbk[4:]))
    clean = tmp_path / "clean.csv"
    clean.write_bytes(b"".join(gbk))
    strings = Strings("zh")
    with on_console(site, driver, strings) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site), what="console loaded")
        driver.tap(root.ids.tab_import)
        driver.type(root.ids.csv_path, str(mixed))
        driver.tap(root.ids.do_import)
        # The refusal names the pasted line (the fifth: the header is the first), in Chinese.
        said = "第 5 行是 UTF-8 编码，而表格是 GBK 编码：请把整个表格保存为同一种编码"
        driver.until(lambda: root.note_text == said, what="refusal")
        assert not root.note_ok and vm.job is None  # nothing was sent to the core
        # The same rows in one encoding go in; after them, nothing of the refused sheet is there.
        driver.type(root.ids.csv_path, str(clean))
        driver.tap(root.ids.do_import)
        driver.until(lambda: vm.job is not None and vm.job.finished, timeout=60, what="import")
        job = vm.job
        assert job is not None and job.ok and job.rows == 6, vm.note
        names = {p.name for p in site.store.people()}
        assert {f"住户{i}" for i in range(6)} <= names
        assert not {"柏璟", "鏌忕挓"} & names
