"""Which photos the demo's face part uses, and who is who in them.

The demo needs a folder of ``<person>/<n>.jpg`` photos: no installed package ships photos of
real faces, and the repository carries none. It looks, in this order, at ``compound demo
--faces DIR``, at ``$COMPOUND_DEMO_FACES``, and at dlib's test set beside the clone
(``devkit.env.FACES``). A folder given with ``--faces`` must be usable (the demo refuses to
start otherwise); a folder that is merely not there turns the face part off, and the demo says
so once at start, with how to turn it on.

People are taken in the order of their folder names: the last is the stranger at the gate, the
ones before it (up to four) are the demo compound's residents who get a face. The gate camera
replays 刘洋 (the third; the last resident in a smaller folder): up to five of his photos are
enrolled and at least two held out, and of those the one with the widest eyes and the one with
the narrowest make the replayed blink (in dlib's test set, the same pair the face tests use).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from compound.domain.model import InvalidInput
from devkit.env import FACES

ENV = "COMPOUND_DEMO_FACES"
# The demo compound's residents (data/demo_compound.json) who get a face, in this order.
RESIDENTS = ("张伟", "李娜", "刘洋", "赵敏")
ENROL_PHOTOS = 5
REPLAYED = "刘洋"  # the resident the gate camera replays, when the folder has him
WALKER_PHOTOS = 3  # at least: some enrolled, two held out for the gate camera
HOW = (
    f"give a folder of <person>/<n>.jpg photos (two people or more, {WALKER_PHOTOS} photos or "
    f"more each): compound demo --faces DIR, or {ENV}=DIR"
)


@dataclass(frozen=True)
class Cast:
    """Who is who in the photos folder."""

    folder: Path
    residents: dict[str, str]  # demo resident's name -> person folder
    stranger: str

    @property
    def walker(self) -> str:
        """The resident the gate camera replays."""
        return REPLAYED if REPLAYED in self.residents else list(self.residents)[-1]

    def photos(self, person: str) -> list[Path]:
        return sorted((self.folder / person).glob("*.jpg"))

    def split(self, person: str) -> tuple[list[Path], list[Path]]:
        """A resident's photos to enrol, and those held out for the camera (walker only)."""
        photos = self.photos(person)
        if person != self.residents[self.walker]:
            return photos[:ENROL_PHOTOS], []
        n = min(ENROL_PHOTOS, len(photos) - 2)
        return photos[:n], photos[n:]


def cast_of(folder: Path) -> Cast | str:
    """The cast of ``folder``, or why it cannot be used."""
    if not folder.is_dir():
        return f"no photos at {folder}"
    people = [d.name for d in sorted(folder.iterdir()) if d.is_dir() and any(d.glob("*.jpg"))]
    if len(people) < 2:
        return f"{folder} has {len(people)} folder(s) of .jpg photos, the demo needs two or more"
    residents = dict(zip(RESIDENTS, people[:-1], strict=False))
    cast = Cast(folder, residents, people[-1])
    walker = residents[cast.walker]
    if len(cast.photos(walker)) < WALKER_PHOTOS:
        return f"{folder / walker} has fewer than {WALKER_PHOTOS} .jpg photos"
    return cast


def choose(given: str | None) -> tuple[Cast | None, str]:
    """The cast the demo uses, and what to say about it (empty when the face part is on);
    ``InvalidInput`` for a ``--faces`` folder that cannot be used."""
    if given is not None:
        found = cast_of(Path(given).expanduser())
        if isinstance(found, str):
            raise InvalidInput(f"--faces: {found}; {HOW}")
        return found, ""
    folder = Path(os.environ.get(ENV) or FACES).expanduser()
    found = cast_of(folder)
    if isinstance(found, str):
        return None, f"face demo off: {found}; to see faces open the gate, {HOW}"
    return found, ""


def blink_pair(held_out: list[Path], eyes: Callable[[Path], float | None]) -> tuple[Path, Path]:
    """The held-out photos with the widest eyes and the narrowest (``eyes``: the eye aspect
    ratio of a photo's face, ``None`` without one); ``InvalidInput`` if fewer than two faces."""
    ratios = {p: r for p in held_out if (r := eyes(p)) is not None}
    if len(ratios) < 2:
        raise InvalidInput(f"fewer than two faces found in {', '.join(map(str, held_out))}")
    return max(ratios, key=lambda p: ratios[p]), min(ratios, key=lambda p: ratios[p])
