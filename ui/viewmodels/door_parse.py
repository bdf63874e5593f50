"""What the door panel reads off the bus besides access results: the face service's box and
verdict, the notices, and the core's answer about the panel's own door."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from ui.i18n import Strings
from ui.viewmodels.officer_doors import local_name

# What the face service's status on ``face/<camera>/result`` makes the panel say.
BLINK = "look at the camera and blink"  # the face service's liveness prompt (watch.BLINK)
FACE_STATUS = {
    "not recognised": "door.unknown",
    BLINK: "door.blink",
    "not live": "door.not_live",
}
# The face service's random challenge (compound/domain/face/challenge.py KINDS).
CHALLENGES = ("turn_left", "turn_right", "look_up", "blink_twice")
_MISMATCH_TOLD: set[Any] = set()  # cameras whose challenge the core's word did not expect

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceBox:
    """Where the face is, as fractions of the frame (0..1, origin top-left)."""

    x: float
    y: float
    w: float
    h: float
    known: bool


def parse_face_box(body: Any) -> FaceBox | None:
    if not isinstance(body, dict):
        return None
    box = body.get("box")
    faces = body.get("faces")
    if box is None and isinstance(faces, list) and faces and isinstance(faces[0], dict):
        box = faces[0].get("box")
        body = {**body, "person_id": faces[0].get("person_id")}
    fw, fh = body.get("width"), body.get("height")
    try:
        if isinstance(box, dict):
            top, right, bottom, left = (
                float(box["top"]),
                float(box["right"]),
                float(box["bottom"]),
                float(box["left"]),
            )
        elif isinstance(box, list | tuple) and len(box) == 4:
            top, right, bottom, left = (float(v) for v in box)
        else:
            return None
        if fw and fh:  # pixels → fractions
            top, bottom, left, right = top / fh, bottom / fh, left / fw, right / fw
        elif max(top, right, bottom, left) > 1.0:
            # Pixels without the frame size (the face service draws this box into its preview
            # JPEG itself): nothing to place over the picture.
            return None
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    known = body.get("person_id") is not None
    return FaceBox(left, top, max(0.0, right - left), max(0.0, bottom - top), known)


def face_status_key(body: Any, may_ask: bool = True) -> str | None:
    """The string key for what the face service's verdict makes the panel say, if anything.
    A challenge is shown whenever the face service sends one, at any door: it deals one only
    when the door's rule asks this person at this hour (``[[face.doors]]``: always, never,
    people, hours), and it then sends no request for any door of the camera until the answer,
    so a panel that hid the prompt would leave the person in front of it shut out.
    ``may_ask`` is the core's word (``DoorTold.face_challenge``): a challenge where it says
    none is ever asked means the two run different rules, said once in the log."""
    if not isinstance(body, dict):
        return None
    if body.get("status") == "challenge":
        if not may_ask and body.get("camera") not in _MISMATCH_TOLD:
            _MISMATCH_TOLD.add(body.get("camera"))
            log.warning(
                "the face service asks the challenge at camera %s, whose door the core says "
                "asks none: restart both after changing [[face.doors]]",
                body.get("camera"),
            )
        c = body.get("challenge")
        kind = c.get("kind") if isinstance(c, dict) else None
        return f"door.challenge_{kind}" if kind in CHALLENGES else "door.blink"
    return FACE_STATUS.get(str(body.get("status")))


def parse_notices(body: Any) -> list[dict[str, str]]:
    """Notices as [{text, buildings}], from a notice.list answer or an older core's retained
    {notices: [...]}; every one (the caller bounds how many it asks for: none is dropped)."""
    if isinstance(body, dict) and isinstance(body.get("notices"), list):
        body = body["notices"]
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list):
        return []
    out = []
    for n in body:
        if isinstance(n, dict) and n.get("text"):
            out.append({"text": str(n["text"])})
            if isinstance(n.get("buildings"), list) and n["buildings"]:
                out[-1]["buildings"] = ",".join(str(b) for b in n["buildings"])
    return out


def served_buildings(serves: Any) -> set[str] | None:
    """The buildings a door serves, from its ``serves`` in ``door.list`` ("3-2" is building
    3); None for all of them (a gate serving "*", or nothing known)."""
    scopes = [str(s) for s in serves] if isinstance(serves, list) else []
    if not scopes or "*" in scopes:
        return None
    return {s.split("-")[0] for s in scopes}


@dataclass(frozen=True)
class DoorTold:
    """What the core's ``door.show`` says about the panel's own door."""

    name: str
    served: set[str] | None  # the buildings it serves; None: all
    # It serves one building entrance: a resident there dials only the room ("1501"), which
    # the core completes with the entrance (``services/intercom_dial.py``).
    one_entrance: bool
    # Whether a face may be asked the challenge there: by some rule, of someone, at some hour
    # (False: never, by any camera watching it). Whether it is asked now, of this face, the
    # face service says itself on each attempt (``face_status_key``).
    face_challenge: bool


def parse_door(body: Any, door: str, challenge: bool = True) -> DoorTold | None:
    """The core's answer about ``door``; None when it is not one (another door, an error).
    A core that does not say whether faces may be challenged there (an older one) leaves
    ``challenge`` as is."""
    if not isinstance(body, dict) or body.get("id") != door:
        return None
    said = body.get("face_challenge")
    serves = body.get("serves")
    return DoorTold(
        str(body.get("name") or door),
        served_buildings(serves),
        isinstance(serves, list) and len(serves) == 1 and str(serves[0]).count("-") == 1,
        said if isinstance(said, bool) else challenge,
    )


def notice_for(notice: dict[str, str], served: set[str] | None) -> bool:
    """A notice for some buildings is shown at the doors of those buildings and at gates."""
    wanted = {b for b in notice.get("buildings", "").split(",") if b}
    return not wanted or served is None or bool(wanted & served)


_SENTENCE_ENDS = "。！？；!?;"
_SOFT_BREAKS = "，、,： "


def split_notice(text: str, limit: int) -> list[str]:
    """A notice as pages of at most ``limit`` characters, each ending at a sentence's end where
    one falls in the page, else at a comma or a space, so that no page stops mid-word."""
    text = " ".join(text.split())
    pages: list[str] = []
    while len(text) > limit:
        head = text[:limit]
        # A full stop ends a sentence when a space follows it (not in "9.5").
        cut = max(text[: limit + 1].rfind(". "), *(head.rfind(c) for c in _SENTENCE_ENDS))
        if cut < limit // 2:
            cut = max(cut, max(head.rfind(c) for c in _SOFT_BREAKS))
        cut = cut + 1 if cut >= limit // 3 else limit
        pages.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        pages.append(text)
    return pages


_ENTRANCE_DOOR = re.compile(r"b(\d+)-e(\d+)\Z")


def door_title(door_id: str, name: str, t: Strings) -> str:
    """The panel's title in the screen's language: "12号楼1单元" / "Building 12 entrance 1" for a
    building entrance's door, else the part of the door's registered name in the language."""
    m = _ENTRANCE_DOOR.match(door_id)
    if m:
        return t("officer.door_in", b=m[1], n=m[2])
    return local_name(name, t.lang)
