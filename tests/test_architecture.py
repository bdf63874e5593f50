"""The layout, checked: the tree cannot drift from the picture in the README silently.

The rules read each module's imports with ``ast`` (nothing is imported):

- ``compound/domain/`` and ``compound/protocol/`` import no I/O library: they are pure, so they
  can be tested with plain values and a clock, and reused by any process.
- Each third-party I/O library is imported by exactly one module (its adapter), and SQLite only
  under ``compound/store/``.
- No two modules import each other in a cycle, at module level or inside functions.
- No module grows past ``MAX_LINES`` lines.

A planted violation of each rule, in a throwaway tree, shows that the checks can fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("compound", "firmware_bridge", "ui", "devkit")
MAX_LINES = 400

# Libraries that reach outside the process (files, sockets, devices, screens, threads).
IO_LIBRARIES = frozenset(
    {
        "sqlite3",
        "sqlite_utils",
        "paho",
        "serial",
        "pymodbus",
        "socket",
        "ssl",
        "subprocess",
        "threading",
        "asyncio",
        "cv2",
        "dlib",
        "face_recognition",
        "kivy",
        "amqtt",
    }
)
PURE_PACKAGES = ("compound.domain", "compound.protocol")
# Third-party I/O libraries: each is imported by one module only.
THIRD_PARTY_IO = {
    "paho": "compound.adapters.mqtt",
    "serial": "firmware_bridge.serial_port",
    "pymodbus": "firmware_bridge.modbus_board",
    "cv2": "compound.adapters.camera",
    "dlib": "compound.adapters.recognizer",
    "face_recognition": "compound.adapters.recognizer",
    "amqtt": "compound.adapters.broker",
    "sqlite_utils": "compound.store.db",
    "PIL": "compound.adapters.images",
    "cryptography": "compound.adapters.crypto",
    "psycopg": "compound.adapters.platform_db",
}
# Kivy is the UI's own toolkit: it is allowed anywhere under ui/ and nowhere else.
KIVY_HOME = "ui"
# Modules still longer than MAX_LINES, with the length they may not exceed while they wait to be
# split; an entry that is no longer needed fails the test, so the list only shrinks.
TOO_LONG_FOR_NOW: dict[str, int] = {}
SQLITE_HOME = "compound.store"


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    lines: int
    imports: frozenset[str]  # every module named in an import, at any depth in the file


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_imports(tree: ast.AST, name: str, is_package: bool) -> frozenset[str]:
    found: set[str] = set()
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            # "from pkg import mod" names a module too.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(found)


def load(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Module]:
    mods: dict[str, Module] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            name = module_name(root, path)
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text, filename=str(path))
            imports = read_imports(tree, name, path.name == "__init__.py")
            mods[name] = Module(name, path, len(text.splitlines()), imports)
    return mods


def top(name: str) -> str:
    return name.split(".")[0]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def impure_imports(mods: dict[str, Module]) -> Iterator[str]:
    for m in mods.values():
        if any(within(m.name, p) for p in PURE_PACKAGES):
            for imp in sorted(m.imports):
                if top(imp) in IO_LIBRARIES:
                    yield f"{m.name} imports {imp}, but {m.name.rsplit('.', 1)[0]} must stay pure"


def misplaced_io(mods: dict[str, Module]) -> Iterator[str]:
    for m in mods.values():
        for lib in sorted({top(i) for i in m.imports}):
            home = THIRD_PARTY_IO.get(lib)
            if home is not None and m.name != home:
                yield f"{m.name} imports {lib}; only {home} may"
            if lib == "kivy" and not within(m.name, KIVY_HOME):
                yield f"{m.name} imports kivy outside {KIVY_HOME}/"
            if lib == "sqlite3" and not within(m.name, SQLITE_HOME):
                yield f"{m.name} imports sqlite3 outside {SQLITE_HOME}/"


def internal_edges(mods: dict[str, Module]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in mods}
    for m in mods.values():
        for imp in m.imports:
            # The longest known module the import names (a name imported from it is not one).
            target = imp
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if target and target != m.name and not within(m.name, target):
                edges[m.name].add(target)
    return edges


def cycles(mods: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    edges = internal_edges(mods)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def too_long(mods: dict[str, Module], allowed: dict[str, int]) -> Iterator[str]:
    for m in mods.values():
        limit = max(MAX_LINES, allowed.get(m.name, 0))
        if m.lines > limit:
            yield f"{m.name}: {m.lines} lines (at most {limit})"
    for name in allowed:
        if name in mods and mods[name].lines <= MAX_LINES:
            yield f"{name} is short enough now: take it off TOO_LONG_FOR_NOW"


def problems(root: Path, allowed_long: dict[str, int] | None = None) -> list[str]:
    mods = load(root, [p for p in PACKAGES if (root / p).is_dir()])
    out = [*impure_imports(mods), *misplaced_io(mods), *too_long(mods, allowed_long or {})]
    out += [" -> ".join(c) + " import each other" for c in cycles(mods)]
    return out


# -- the real tree ---------------------------------------------------------------------------


def test_the_tree_keeps_its_layout() -> None:
    """Pure domain and protocol, one home per I/O library, no cycles, no sprawling modules."""
    assert problems(ROOT, TOO_LONG_FOR_NOW) == []


def test_the_layout_packages_exist_and_say_what_they_hold() -> None:
    for pkg in (
        "compound/domain",
        "compound/protocol",
        "compound/store",
        "compound/adapters",
        "compound/services",
        "compound/app",
        "devkit",
    ):
        init = ROOT / pkg / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 20, f"{pkg}/__init__.py needs a docstring saying what lives there"


# -- planted violations: each rule can fail --------------------------------------------------


def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(exist_ok=True)
        (tmp_path / pkg / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"compound/domain/__init__.py": "", "compound/domain/access.py": "import sqlite3\n"},
            "compound.domain.access imports sqlite3",
        ),
        (
            {
                "compound/protocol/__init__.py": "",
                "compound/protocol/topics.py": "def f():\n    import threading\n",
            },
            "compound.protocol.topics imports threading",
        ),
        (
            {
                "compound/services/__init__.py": "",
                "compound/services/core.py": "import paho.mqtt.client\n",
            },
            "compound.services.core imports paho; only compound.adapters.mqtt may",
        ),
        (
            {"compound/services/__init__.py": "", "compound/services/x.py": "import sqlite3\n"},
            "compound.services.x imports sqlite3 outside compound.store/",
        ),
        (
            {
                "compound/app/__init__.py": "",
                "compound/app/screen.py": "from kivy.app import App\n",
            },
            "compound.app.screen imports kivy outside ui/",
        ),
        (
            {
                "compound/a.py": "from compound import b\n",
                "compound/b.py": "def f():\n    from compound.a import x\n",
            },
            "compound.a -> compound.b import each other",
        ),
        (
            {"compound/big.py": "x = 1\n" * (MAX_LINES + 1)},
            f"{MAX_LINES + 1} lines",
        ),
    ],
)
def test_a_planted_violation_is_caught(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    found = problems(plant(tmp_path, files))
    assert any(expected in p for p in found), found


def test_a_clean_planted_tree_passes(tmp_path: Path) -> None:
    """The checks do not cry wolf: a small tree that keeps the rules has no problems."""
    root = plant(
        tmp_path,
        {
            "compound/domain/__init__.py": "",
            "compound/domain/access.py": "from dataclasses import dataclass\n",
            "compound/adapters/__init__.py": "",
            "compound/adapters/mqtt.py": "import paho.mqtt.client\n",
            "compound/services/__init__.py": "",
            "compound/services/core.py": (
                "from compound.domain import access\nfrom compound.adapters import mqtt\n"
            ),
        },
    )
    assert problems(root) == []
