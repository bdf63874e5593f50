"""Features that plug into the core service, each with ``start()`` and ``stop()``.

An extension receives the core in its constructor and does nothing there; in ``start()`` it
subscribes to the bus and adds its API methods to ``core.api``. The list below is the order in
which they start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from compound.core import Core


class Extension(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


# "module:factory" for each extension; the factory takes the core.
EXTENSIONS: list[str] = [
    "compound.people_api:PeopleApi",
    "compound.security_ext:SecurityExtension",
    "compound.community.api:CommunityApi",
    "compound.intercom:Intercom",
]


def build_extensions(core: Core) -> list[Extension]:
    built = []
    for spec in EXTENSIONS:
        module, _, name = spec.partition(":")
        factory = getattr(importlib.import_module(module), name)
        built.append(factory(core))
    return built
