"""CSV import without typing a path, in a real window against the real core on a real
Mosquitto: the manager saves the template by touch, picks a GBK file (as Excel on a Chinese
Windows saves it) from the finger-sized file list, and imports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import Driver, Site
from tests.ui.manager_console import on_console

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_manager_picks_a_gbk_csv_by_touch_and_imports_it(
    site: Site, driver: Driver, tmp_path: Path
) -> None:
    from ui.i18n import Strings

    folder = tmp_path / "usb"
    folder.mkdir()
    rows = ["name,unit,role,lease_end,card"] + [
        f"住户{i},1-1-{500 + i},owner,,{50000 + i}" for i in range(10)
    ]
    (folder / "residents.csv").write_bytes(("\n".join(rows) + "\n").encode("gbk"))
    (folder / "photo.jpg").write_bytes(b"\xff\xd8")
    with on_console(site, driver, Strings("zh")) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site), what="console loaded")
        driver.tap(root.ids.tab_import)
        files = root.csv_files
        files.open(tmp_path)
        driver.pump(0.1)
        driver.tap(files.buttons[str(folder)])
        assert str(folder / "photo.jpg") not in files.buttons  # CSV files only
        driver.tap(root.ids.save_template)
        template = folder / "compound-import-template.csv"
        assert template.read_text(encoding="utf-8-sig").startswith("name,unit,role,")
        assert str(template) in files.buttons  # listed at once
        driver.tap(files.buttons[str(folder / "residents.csv")])
        assert root.ids.csv_path.text == str(folder / "residents.csv")
        driver.tap(root.ids.do_import)
        driver.until(lambda: vm.job is not None and vm.job.finished, timeout=60, what="import")
        assert vm.job.ok and vm.job.rows == 10, vm.note
        names = {p.name for p in site.store.people()}
        assert {f"住户{i}" for i in range(10)} <= names
        # The template itself imports: its example row is a valid owner.
        driver.tap(files.buttons[str(template)])
        driver.tap(root.ids.do_import)
        driver.until(lambda: vm.job is not None and vm.job.finished and vm.job.rows == 1)
        assert vm.job.ok and "王小明" in {p.name for p in site.store.people()}
