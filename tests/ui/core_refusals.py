"""Every refusal the core's API can send to a screen, read from the source of compound/: each
message given to ``InvalidInput`` (and the refusals built on it), a sheet row's error, a
required-value check and the bus's own error replies. An f-string or a ``.format`` template is
made into a sample message, each value replaced by a sample value; a message held in a name
is looked up in the function or module that holds it.

Used by tests/ui/test_core_messages.py: a message with no text in ``ui.i18n_core``'s table is
shown on the screens as a plain "not done" and fails there."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Calls whose string arguments are refusals sent in an API reply (or a sheet's error list;
# ``consoles_only`` refuses with the message it is given).
CARRIERS = {"InvalidInput", "DialRefused", "RowError", "fail", "need", "consoles_only"}
# Never sent on the bus: the command line prints these to the person at the terminal; the
# device definitions (protocol/acl.py) are checked when an installer adds a device there; the
# face service's cameras and per-door challenge rules come from the box's configuration file
# and are refused when the service starts.
NOT_ON_THE_BUS = (
    "compound/app/",
    "compound/protocol/acl.py",
    "compound/services/face_cameras.py",
    "compound/domain/face/challenge_policy.py",
)
# Sample values of the words a message is built from (any other value: a number, or a repr);
# a module's own first.
SAMPLES = {
    "_WHAT[key]": "card number",
    "what": "PIN",
    "c.key": "name",
    "also": " (or 姓名)",
    "key": "name",
    "len(fields)": "6",
    "len(keys)": "5",
}
SAMPLES_IN = {
    "compound/adapters/images.py": {"what": "site plan"},
    "compound/domain/register_sheet.py": {"what": "open time"},
    "compound/domain/model.py": {"what": "lease end"},
    "compound/services/notices.py": {"what": "valid_until"},
    "compound/domain/paging.py": {"key": "limit"},
}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


class Source:
    """One module's source and the refusals in it."""

    def __init__(self, rel: str, text: str | None = None) -> None:
        self.rel = rel
        if text is None:
            text = (ROOT / rel).read_text(encoding="utf-8")
        self.tree = ast.parse(text)
        self.parent = _parents(self.tree)
        self.functions = {
            n.name: n
            for n in ast.walk(self.tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    def _assigned(self, name: str, scope: ast.AST) -> list[ast.expr]:
        found: list[ast.expr] = []
        body = scope.body if isinstance(scope, ast.Module) else list(ast.walk(scope))
        for node in body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                found.append(node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                if isinstance(node.target, ast.Name) and node.target.id == name:
                    found.append(node.value)
        return found

    def _scope(self, node: ast.AST) -> ast.AST:
        n = node
        while n in self.parent:
            n = self.parent[n]
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
                return n
        return self.tree

    def samples(self, node: ast.expr, at: ast.AST, depth: int = 0) -> list[str]:
        """The messages ``node`` can make (values replaced by samples)."""
        if depth > 4:
            return []
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else []
        if isinstance(node, ast.JoinedStr):
            out = [""]
            for part in node.values:
                if isinstance(part, ast.Constant):
                    out = [o + str(part.value) for o in out]
                elif isinstance(part, ast.FormattedValue):
                    expr = ast.unparse(part.value)
                    said = SAMPLES_IN.get(self.rel, {}).get(expr) or SAMPLES.get(expr)
                    said = said or ("'x7'" if part.conversion == ord("r") else "7")
                    out = [o + said for o in out]
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.samples(node.left, at, depth + 1)
            right = self.samples(node.right, at, depth + 1)
            return [a + b for a in left for b in right]
        if isinstance(node, ast.IfExp):
            return self.samples(node.body, at, depth + 1) + self.samples(node.orelse, at, depth + 1)
        if isinstance(node, ast.Name):
            scope = self._scope(at)
            values = self._assigned(node.id, scope) or self._assigned(node.id, self.tree)
            return [s for v in values for s in self.samples(v, v, depth + 1)]
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "format":
                templates = self.samples(func.value, at, depth + 1)
                return [re.sub(r"\{[^{}]*\}", "7", t) for t in templates]
            if isinstance(func, ast.Name) and func.id in self.functions:
                fn = self.functions[func.id]
                returns = [r.value for r in ast.walk(fn) if isinstance(r, ast.Return) and r.value]
                return [s for r in returns for s in self.samples(r, r, depth + 1)]
        return []

    def messages(self) -> Iterator[str]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Dict):  # a sheet line's own problem: {"": message}
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "" and value is not None:
                        yield from (t for t in self.samples(value, node) if " " in t)
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "ApiReply":  # the bus's own refusals (unknown method, internal error)
                for kw in node.keywords:
                    if kw.arg == "error" and not isinstance(kw.value, ast.Call):
                        yield from self.samples(kw.value, node)
            if name not in CARRIERS:
                continue
            for arg in node.args:
                for text in self.samples(arg, node):
                    if " " in text and not text.isupper():
                        yield text


def modules() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "compound").rglob("*.py")
        if not str(p.relative_to(ROOT)).startswith(NOT_ON_THE_BUS)
    )


def core_refusals() -> list[tuple[str, str]]:
    """(module, sample message) for each refusal a screen can be sent."""
    found: dict[tuple[str, str], None] = {}
    for rel in modules():
        for text in Source(rel).messages():
            found[(rel, text)] = None
    return list(found)
