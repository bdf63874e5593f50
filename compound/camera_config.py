"""One camera of the face service in the config file (``[[face.cameras]]`` in ``[face]``), and
one door's challenge rule (``[[face.doors]]``).

Apart from ``config.py`` so that the face service's wiring stays in one short place; the bounds
are in the fields' metadata, which ``config.load_section`` checks as for every other section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compound.domain.face.challenge_policy import MODES


def _bounds(
    default: object, lo: float | None = None, hi: float | None = None, **kw: object
) -> object:
    return field(default=default, metadata={"lo": lo, "hi": hi, "choices": kw.get("choices", ())})


@dataclass(frozen=True)
class CameraWiring:
    id: str = ""
    # "rtsp://...", "http://.../stream.mjpg", "/dev/video0", or "replay:FOLDER"
    source: str = ""
    # the door(s) it watches: a face opens each of them that serves the person
    doors: list[str] = field(default_factory=list)
    # frames looked at per second; the stream may deliver more, the rest are skipped
    fps: float = _bounds(8.0, 0.5, 30.0)  # type: ignore[assignment]
    # a random challenge (turn, look up, blink twice) before a face opens: "always", or
    # "never" for a door with its own IR or depth face terminal
    challenge: str = _bounds("always", choices=("always", "never"))  # type: ignore[assignment]


@dataclass(frozen=True)
class FaceDoorWiring:
    """When a face must answer the challenge at one door (``compound/domain/face/
    challenge_policy.py``); it wins over the camera's ``challenge`` for this door. Checked
    further (spans, roles, which keys go with which mode) when the face service starts."""

    id: str = ""
    # "always", "never" (the door has its own IR or depth terminal), "people", "hours",
    # "people or hours", "people at hours"
    challenge: str = _bounds("always", choices=MODES)  # type: ignore[assignment]
    # who "people" means: roles (owner, family, tenant, visitor), tenant layers from the rental
    # register (focus, watch, stable: 重点层 关注层 稳定层) and/or person ids
    roles: list[str] = field(default_factory=list)
    people: list[int] = field(default_factory=list)
    # when "hours" means, in the site's local time: "22:00-06:00" runs past midnight
    hours: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
