"""The manager console in a real Kivy window under Xvfb, driven by touches, against the real
core and the real face service (dlib) on a real Mosquitto."""

from __future__ import annotations

import json
import queue
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from compound.adapters.camera import Frame, ReplaySource
from compound.adapters.mqtt import Message
from compound.config import FaceConfig
from compound.domain.clock import SystemClock
from compound.store.db import Store
from tests.conftest import FACES
from tests.ui.conftest import Driver, Site, gateway, not_blank
from tests.ui.manager_console import on_console, pick_person

pytestmark = [pytest.mark.ui, pytest.mark.integration, pytest.mark.slow]

RESIDENT = "John_Savage"
OTHER = "John_Simm"
CAMERA = "enrol"


class CameraStand:
    """The console's enrolment camera: real photos played as frames, and the photo held in
    front of it can be changed (the resident steps away, someone else steps up)."""

    name = "camera stand"
    live = False  # read when the service wants a frame

    def __init__(self, photos: list[Path]) -> None:
        self._lock = threading.Lock()
        self._replay = self._open(photos)

    @staticmethod
    def _open(photos: list[Path]) -> ReplaySource:
        src = ReplaySource(photos, SystemClock().now, loop=True)
        src.open()
        return src

    def hold_up(self, photos: list[Path]) -> None:
        replay = self._open(photos)
        with self._lock:
            self._replay = replay

    def open(self) -> None:
        pass

    def read(self) -> Frame | None:
        with self._lock:
            return self._replay.read()

    def skip(self) -> None:
        pass

    def close(self) -> None:
        pass


def _photos(name: str) -> list[Path]:
    if not FACES.exists():
        pytest.skip(f"test photos missing at {FACES}")
    return sorted((FACES / name).glob("*.jpg"))


def _results(site: Site) -> queue.Queue[dict[str, Any]]:
    q: queue.Queue[dict[str, Any]] = queue.Queue()

    def put(m: Message) -> None:
        q.put(json.loads(m.payload))

    site.bus("test-face-results").subscribe(site.topics.face_result(CAMERA), put)
    return q


def _verdicts(q: queue.Queue[dict[str, Any]], n: int, timeout: float) -> list[int | None]:
    """The person ids the face service names in the next ``n`` results that show a face."""
    out: list[int | None] = []
    end = time.monotonic() + timeout
    while len(out) < n:
        r = q.get(timeout=max(0.01, end - time.monotonic()))
        if r.get("faces"):
            out.append(r["faces"][0]["person_id"])
    return out


def test_manager_enrols_a_face_by_touch_and_the_face_service_then_identifies_them(
    site: Site, driver: Driver
) -> None:
    """The whole enrolment path a property manager uses: register the resident, give them a
    card (a face is never the only credential), see the live quality verdict, be refused
    without consent, record consent, capture four camera frames, enrol. The real face service
    must then name that resident from a photo it never saw, and must not name another man."""
    from compound.adapters.recognizer import DlibRecognizer
    from compound.camera_config import CameraWiring
    from compound.services.face import FaceService
    from compound.services.face_cameras import CameraSpec, FaceCameras
    from compound.store.faces import FaceStore
    from ui.i18n import Strings

    resident = _photos(RESIDENT)
    enrol_photos, held_out = resident[:4], resident[-1]
    stand = CameraStand(enrol_photos[:1])
    face_store = Store(site.store.path, SystemClock(), site.tmp / "keys")
    face_bus = site.bus("face-enrol")
    recognizer, cfg = DlibRecognizer(), FaceConfig(preview_fps=8.0)
    service = FaceService(face_store, face_bus, SystemClock(), cfg, recognizer)
    wiring = CameraWiring(CAMERA, "camera stand", ["gate"], 10.0, "never")
    specs = [CameraSpec(wiring, stand)]
    clock = SystemClock()
    cameras = FaceCameras(face_store, face_bus, clock, cfg, specs, recognizer, lock=service.lock)
    service.start()
    cameras.start()
    results = _results(site)
    try:
        with on_console(site, driver, Strings("en"), door=CAMERA) as built:
            root, vm = built.root, built.vm
            driver.until(lambda: bool(vm.site), what="console loaded")

            # Register the resident and issue a card, by touch.
            driver.type(root.ids.f_name, "John Savage")
            driver.type(root.ids.f_unit, "1-1-202")
            driver.tap(root.ids.register)
            driver.until(lambda: vm.last_person_id is not None, what="registered")
            pid = vm.last_person_id
            assert pid is not None and site.store.person(pid).name == "John Savage"
            driver.tap(root.ids.tab_credentials)
            pick_person(driver, root, "John Savage", "John Savage")
            driver.type(root.ids.c_card, "30001")
            driver.tap(root.ids.issue_card)
            driver.until(lambda: root.note_text == "Card issued", what="card issued")

            # The enrolment page: live preview and the face service's quality verdict.
            driver.tap(root.ids.tab_face)
            assert root.ids.e_chosen.text == "Face of John Savage · 1-1-202"  # picked for the card
            driver.until(lambda: root.ids.face_camera.has_frame, what="camera preview")
            driver.until(lambda: root.quality_ok, timeout=30, what="quality verdict OK")
            assert root.quality_text.startswith("Quality: ")

            # Consent first: without it no photo is even taken, and nothing leaves the console.
            driver.tap(root.ids.capture)
            assert root.note_text == "Record the resident's consent first" and not root.note_ok
            assert vm.captured == []
            driver.tap(root.ids.enrol)
            assert root.note_text == "Record the resident's consent first" and not root.note_ok
            driver.pump(0.3)
            assert FaceStore(site.store).count(pid) == 0
            assert FaceStore(site.store).consent(pid) is None
            driver.tap(root.ids.consent)
            assert vm.consent and root.ids.consent.text.startswith("✓")

            # Four frames captured, the resident turning a little between them (one photo each).
            for n, photo in enumerate(enrol_photos, start=1):
                stand.hold_up([photo])
                driver.until(
                    lambda: root._frame is not None and root._frame not in vm.captured,
                    what="a new camera frame",
                )
                driver.tap(root.ids.capture)
                assert len(vm.captured) == n
                assert root.note_text.startswith(f"{n} photo(s) captured")
            assert len(set(vm.captured)) == 4 and root.ids.capture.text.endswith("(4)")
            driver.tap(root.ids.enrol)
            driver.until(
                lambda: root.note_text.startswith("Face enrolled"), timeout=90, what="enrol"
            )
            enrolled = FaceStore(site.store).count(pid)
            assert enrolled >= 3, root.note_text
            assert root.note_text == f"Face enrolled: {enrolled} of 4 photos accepted"
            assert FaceStore(site.store).consent(pid) is not None
            assert vm.captured == [] and not vm.consent
            shot = driver.shot("manager_enrolled.png")
            not_blank(shot)

            # Identify: a photo of the resident the service never saw, then another man.
            stand.hold_up([held_out])
            time.sleep(0.3)  # frames already in flight still show the enrolment photos
            _drain(results)
            driver.until(
                lambda: _drain_for(results, pid), timeout=10, what="held-out photo recognised"
            )
            assert _verdicts(results, 3, timeout=5) == [pid] * 3
            stand.hold_up(_photos(OTHER)[:3])
            # Results for frames already in flight still name the resident (a loaded machine has
            # many in flight): from the first verdict on the other man, six in a row name nobody.
            driver.until(lambda: _drain_for(results, None), timeout=30, what="the other man seen")
            assert _verdicts(results, 6, timeout=30) == [None] * 6
    finally:
        cameras.stop()
        service.stop()
        face_store.close()


def _drain(q: queue.Queue[dict[str, Any]]) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


def _drain_for(q: queue.Queue[dict[str, Any]], pid: int | None) -> bool:
    """True once a result naming ``pid`` arrives (the gallery reloads every couple of seconds);
    ``None``: a face the service names as nobody."""
    while True:
        try:
            r = q.get_nowait()
        except queue.Empty:
            return False
        if any(f.get("person_id") == pid for f in r.get("faces") or []):
            return True


def test_manager_imports_a_sheet_whole_or_not_at_all_by_touch(site: Site, driver: Driver) -> None:
    """A property office moves a spreadsheet of 400 residents in (larger than one bus request,
    so it goes to the real core in parts): with three bad rows nothing is registered and each is
    named by line and column on the screen, as the CLI names them; fixed, everyone is
    registered with their card, and the bar moves through the parts."""
    from ui.i18n import Strings

    good = [(f"住户{i}", f"1-1-{300 + i}", "owner") for i in range(400)]
    lines = ["name,unit,role,phone,card"]
    lines += [f"{n},{u},{r},138{i:08d},{40000 + i}" for i, (n, u, r) in enumerate(good)]
    bad = list(lines)
    bad[3] = "坏角色,1-1-901,boss,,"  # line 4
    bad[6] = "坏房号,9-9,owner,,"  # line 7
    bad[350] = "多一列,1-1-902,owner,,,extra"  # line 351, in a later part
    csv_path, fixed = site.tmp / "people.csv", site.tmp / "people-fixed.csv"
    csv_path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    fixed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(fixed.read_bytes()) > 16 * 1024
    before = {p.name for p in site.store.people()}
    with on_console(site, driver, Strings("en"), door=CAMERA) as built:
        root, vm = built.root, built.vm
        driver.until(lambda: bool(vm.site), what="console loaded")
        driver.tap(root.ids.tab_import)
        driver.type(root.ids.csv_path, str(csv_path))
        driver.tap(root.ids.do_import)
        driver.until(lambda: vm.job is not None and vm.job.finished, timeout=60, what="import")
        refused = "3 problem(s) in 400 rows; nothing was imported"
        driver.until(lambda: root.progress_text == refused, what="the refusal drawn")
        assert len(vm.job.parts) > 1
        errors = root.errors_text.splitlines()
        assert [e.split(":")[0] for e in errors] == [
            "Line 4, column role",
            "Line 7, column unit",
            "Line 351",
        ], errors
        assert "boss" in errors[0] and "9-9" in errors[1] and "6 fields" in errors[2]
        assert not root.note_ok
        assert {p.name for p in site.store.people()} == before, "a refused sheet changes nothing"
        assert site.store.find_credential("card", "40000")[0] is None
        not_blank(driver.shot("manager_import.png"))

        seen: list[float] = []
        root.ids.progress.bind(value=lambda _w, v: seen.append(v))
        driver.type(root.ids.csv_path, str(fixed))
        driver.tap(root.ids.do_import)
        driver.until(lambda: vm.job is not None and vm.job.finished, timeout=60, what="import")
        driver.until(lambda: root.progress_text == "All 400 people imported", what="success drawn")
        assert vm.job.ok
        assert root.errors_text == "" and root.note_ok
        assert any(0 < v < 1 for v in seen) and seen == sorted(seen), seen
        assert root.ids.progress.value == 1.0
        names = {p.name for p in site.store.people()}
        assert names - before == {n for n, _, _ in good}
        cred, holder = site.store.find_credential("card", "40399")
        assert cred is not None and holder is not None and holder.name == "住户399"


def test_manager_searches_people_on_the_core_as_they_type_and_pages_by_touch(
    site: Site, driver: Driver
) -> None:
    """The people panel holds one page: the next page comes by touch, and a search typed key
    by key goes to the core once typing pauses, which finds 王小明 by his initials."""
    from ui.app import build_role
    from ui.i18n import Strings

    for i in range(20):
        site.store.add_person(f"住户{i:02d}", "1-1-101", "family")
    wxm = site.store.add_person("王小明", "1-1-102", "owner")
    gw = gateway(site, "manager")
    asked: list[dict[str, Any]] = []
    request = gw.request

    def spy(method: str, params: dict[str, Any], callback: Any = None) -> None:
        if method == "person.list":
            asked.append(dict(params))
        request(method, params, callback)

    gw.request = spy
    try:
        built = build_role("manager", gw, Strings("en"), SystemClock(), door=CAMERA)
        root, vm = built.root, built.vm
        driver.mount(root, (1280, 800))
        vm.load()
        driver.until(lambda: root.people_page_text == "Page 1 of 2", what="first page")
        assert root.people_title == "People (30)" and f"#{wxm}  王小明" in root.people_text
        driver.tap(root.ids.people_next)
        driver.until(lambda: root.people_page_text == "Page 2 of 2", what="second page")
        assert "王小明" not in root.people_text and root.ids.people_next.disabled

        field = root.ids.p_search
        driver.tap(field)
        before = len(asked)
        for key in "wxm":  # typed within one frame: faster than the pause, on any machine
            field.insert_text(key)
        driver.until(lambda: len(asked) > before, what="the search asked")
        driver.until(lambda: root.people_title == "People (1)", what="search answered")
        assert root.people_text.startswith(f"#{wxm}  王小明  1-1-102")
        assert root.people_page_text == "Page 1 of 1"
        typed = [a.get("q") for a in asked[before:]]
        assert typed == ["wxm"], f"one search per pause, not per key: {typed}"
        not_blank(driver.shot("manager_people_search.png"))
    finally:
        gw.stop()
