"""Which camera the face worker serves next. Pure and clock-injected.

Cameras announce a fresh frame worth a detector call (``ready``), saying whether a face is
waiting there (a face tracked or seen on the last look) or only motion. The worker asks
``next``: a camera with a waiting face goes before cameras with only motion, because a person is
standing at that door; among equals the one that has waited longest goes first. No camera
starves: a camera that has waited ``max_wait_s`` goes before everything that has not, faces or
not, oldest first. A camera announced twice before it is served keeps its first waiting time
(it has been waiting since then) and the newer face flag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SchedulerRules:
    max_wait_s: float = 1.0


class Scheduler:
    def __init__(self, rules: SchedulerRules | None, now: Callable[[], float]) -> None:
        self.rules = rules or SchedulerRules()
        self._now = now
        self._waiting: dict[str, tuple[float, bool]] = {}  # camera -> (since, face waiting)

    def __len__(self) -> int:
        return len(self._waiting)

    def ready(self, camera: str, face: bool) -> None:
        since = self._waiting.get(camera, (self._now(), face))[0]
        self._waiting[camera] = (since, face)

    def forget(self, camera: str) -> None:
        self._waiting.pop(camera, None)

    def next(self) -> str | None:
        if not self._waiting:
            return None
        now = self._now()
        limit = self.rules.max_wait_s

        def rank(item: tuple[str, tuple[float, bool]]) -> tuple[int, int, float]:
            _cam, (since, face) = item
            starving = now - since >= limit
            return (0 if starving else 1, 0 if face or starving else 1, since)

        camera = min(self._waiting.items(), key=rank)[0]
        del self._waiting[camera]
        return camera
