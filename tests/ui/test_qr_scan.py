"""Visitor passes shown to the door camera: the QR code is read from the preview JPEG (OpenCV,
through the camera module) and its token goes to the core as a "pass" access request."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import qrcode
from PIL import Image

from compound.adapters.camera import decode_qr
from compound.domain.clock import ManualClock
from compound.protocol.messages import AccessRequest, AccessResult, encode
from ui.gateway import LocalGateway
from ui.i18n import Strings
from ui.viewmodels.door import QR_REPEAT_S, QR_SCAN_S, DoorPanelVM


def qr_jpeg(text: str, *, on_photo: bool = True) -> bytes:
    """A QR code as a phone shows it to a camera: on a grey background, JPEG-compressed."""
    code = qrcode.make(text, box_size=4, border=2).convert("RGB")
    frame = Image.new("RGB", (320, 240), (120, 110, 100)) if on_photo else code
    if on_photo:
        frame.paste(code, ((320 - code.width) // 2, (240 - code.height) // 2))
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=75)
    return out.getvalue()


def test_decode_qr_reads_a_jpeg_frame_and_an_rgb_frame() -> None:
    """The door camera's preview is a JPEG and the face service holds RGB frames: both work."""
    token = "vp-7f3a9c2e41b8"
    assert decode_qr(qr_jpeg(token)) == token
    rgb = np.asarray(Image.open(io.BytesIO(qr_jpeg(token))).convert("RGB"))
    assert decode_qr(rgb) == token


def test_decode_qr_says_none_for_frames_without_a_code() -> None:
    """A face, a blank frame or bytes that are no JPEG must not turn into a pass."""
    blank = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 90, 90)).save(blank, "JPEG")
    assert decode_qr(blank.getvalue()) is None
    assert decode_qr(b"\xff\xd8 not really a jpeg") is None
    assert decode_qr(b"") is None


def sync_scan(jpeg: bytes, done: Callable[[str | None], None]) -> None:
    done(decode_qr(jpeg))


def test_pass_held_to_the_camera_is_sent_once_and_the_answer_shown(clock: ManualClock) -> None:
    """The token reaches the core as kind "pass" for this door, once per showing, and the
    visitor reads the core's answer; frames are scanned at most every QR_SCAN_S."""
    gw = LocalGateway()
    scans: list[bytes] = []

    def counting_scan(jpeg: bytes, done: Callable[[str | None], None]) -> None:
        scans.append(jpeg)
        sync_scan(jpeg, done)

    vm = DoorPanelVM(gw, Strings("en"), clock, "gate", "gate-cam", qr_scan=counting_scan)
    frame = qr_jpeg("vp-token-1")
    gw.deliver("face/gate-cam/frame", frame)
    gw.deliver("face/gate-cam/frame", frame)  # same instant: not scanned again
    assert len(scans) == 1
    sent = [AccessRequest.decode(p) for t, p in gw.published if t == "access/gate/request/panel"]
    assert [(r.kind, r.value, r.door_id) for r in sent] == [("pass", "vp-token-1", "gate")]
    assert vm.status_line == "Checking the visitor pass…"
    req = sent[0]
    gw.deliver(
        "access/gate/result",
        encode(AccessResult(req.id, "gate", True, "granted", req.at, display_name="访客 王*")),
    )
    assert vm.status_line == "Visitor pass accepted, welcome 访客 王*"
    clock.advance(QR_SCAN_S)
    gw.deliver("face/gate-cam/frame", frame)  # still held up: scanned, not sent again
    assert len(scans) == 2
    assert len([t for t, _ in gw.published if t == "access/gate/request/panel"]) == 1
    clock.advance(QR_REPEAT_S)
    gw.deliver("face/gate-cam/frame", frame)
    sent = [AccessRequest.decode(p) for t, p in gw.published if t == "access/gate/request/panel"]
    assert len(sent) == 2
    gw.deliver(
        "access/gate/result",
        encode(AccessResult(sent[1].id, "gate", False, "expired", sent[1].at)),
    )
    assert vm.status_line == "Visitor pass refused: expired"


def test_a_qr_code_that_is_no_pass_is_refused_at_the_panel(clock: ManualClock) -> None:
    """A leaflet's long web address is not sent to the core as a credential."""
    gw = LocalGateway()
    vm = DoorPanelVM(gw, Strings("en"), clock, "gate", "gate-cam", qr_scan=sync_scan)
    gw.deliver("face/gate-cam/frame", qr_jpeg("https://example.org/" + "x" * 150))
    assert not [t for t, _ in gw.published if t == "access/gate/request/panel"]
    assert vm.status_line.startswith("Visitor pass refused")
