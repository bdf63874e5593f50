"""Which camera a face worker serves next. Pure and clock-injected.

Cameras announce work for the detector (``ready``): a frame for a full look (a face to find or
to name, or motion), saying whether a face is waiting there (seen on the last look) or only
motion; or only the periodic check of a face already followed by its landmarks (``look`` false:
that face's blink and answers advance on its reader meanwhile, so the check can wait). A worker
asks ``next``: full looks before checks, because a person not yet named is waiting for a
decision; among full looks a camera with a face before cameras with only motion; among equals
the one that has waited longest. No camera starves: a camera that has waited ``max_wait_s``
goes before everything that has not, oldest first. A camera announced twice before it is served
keeps its first waiting time (it has been waiting since then) and the newer flags. A camera a
worker is serving is left out (``skip``), so two workers never serve one camera at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class SchedulerRules:
    max_wait_s: float = 1.0


class Scheduler:
    def __init__(self, rules: SchedulerRules | None, now: Callable[[], float]) -> None:
        self.rules = rules or SchedulerRules()
        self._now = now
        # camera -> (since, face waiting, a full look waiting)
        self._waiting: dict[str, tuple[float, bool, bool]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def ready(self, camera: str, face: bool, look: bool = True) -> None:
        since = self._waiting.get(camera, (self._now(), face, look))[0]
        self._waiting[camera] = (since, face, look)

    def forget(self, camera: str) -> None:
        self._waiting.pop(camera, None)

    def next(self, skip: Collection[str] = ()) -> str | None:
        """The camera to serve now, leaving out those in ``skip`` (being served by another
        worker: they keep their place and are served when free)."""
        waiting = [item for item in self._waiting.items() if item[0] not in skip]
        if not waiting:
            return None
        now = self._now()
        limit = self.rules.max_wait_s

        def rank(item: tuple[str, tuple[float, bool, bool]]) -> tuple[int, int, int, float]:
            _cam, (since, face, look) = item
            if now - since >= limit:
                return (0, 0, 0, since)
            return (1, 0 if look else 1, 0 if face else 1, since)

        camera = min(waiting, key=rank)[0]
        del self._waiting[camera]
        return camera
