"""The package layout is the architecture: no import cycles, and imports point one way (README "Architecture").

Every import counts, including the ones inside functions: a lazy import still ties two modules together.
Only imports under ``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "grader"

#: layer -> the layers it may import (itself included). The base modules import nothing from grader.
ALLOWED: dict[str, set[str]] = {
    "base": {"base"},
    "sandbox": {"base", "sandbox"},
    "spec": {"base", "sandbox", "spec"},
    "judge": {"base", "sandbox", "spec", "judge"},
    "reports": {"base", "spec", "reports"},
    "authoring": {"base", "sandbox", "spec", "judge", "reports", "authoring"},
    "classroom": {"base", "sandbox", "spec", "judge", "reports", "authoring", "classroom"},
    "handoff": {"base", "sandbox", "spec", "judge", "reports", "authoring", "handoff"},
    "review": {"base", "sandbox", "spec", "judge", "reports", "authoring", "classroom", "review"},
    "cli": {"base", "sandbox", "spec", "judge", "reports", "authoring", "classroom", "handoff", "review", "cli"},
}
TOP_LEVEL = {"__init__": "base", "errors": "base", "files": "base", "record": "base", "cli": "cli", "console": "cli",
             "__main__": "cli"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "base"
    if len(parts) == 2 and parts[1] in TOP_LEVEL:
        return TOP_LEVEL[parts[1]]
    if parts[1] in ALLOWED:
        return parts[1]
    raise AssertionError(f"{module} sits in no layer: put it in a folder named in tests/test_architecture.py")


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The grader modules that ``module`` imports, resolved to modules (``from grader.spec import cache``)."""
    out: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {id(n) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
                   for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name.split(".")[0] == "grader":
                out.add(name)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: imports(m, p, known) for m, p in mods.items()}


def test_every_module_has_a_layer():
    for m in modules():
        layer(m)


def test_no_import_cycles():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(g[m]):
            if n == "grader":  # the package's own __init__ holds only __version__
                continue
            if state.get(n) == 1:
                cycle = [*stack[stack.index(n):], n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


def test_imports_point_one_way():
    wrong = []
    for m, targets in sorted(graph().items()):
        for t in sorted(targets):
            if layer(t) not in ALLOWED[layer(m)]:
                wrong.append(f"{m} ({layer(m)}) imports {t} ({layer(t)})")
    assert not wrong, "imports against the layering in README 'Architecture':\n" + "\n".join(wrong)


def test_every_folder_says_what_it_is_for_and_may_import():
    for init in PACKAGE.rglob("__init__.py"):
        if init.parent.name == "templates":
            continue
        doc = ast.get_docstring(ast.parse(init.read_text("utf-8"))) or ""
        assert doc, f"{init} has no docstring"
        if init.parent != PACKAGE and init.parent.name != "formats":
            assert "import" in doc, f"{init}'s docstring does not say what the folder may import"


def test_the_checker_sees_a_violation(tmp_path):
    """The direction test is not vacuous: a report importing the judge is caught."""
    assert "judge" not in ALLOWED["reports"]
    assert layer("grader.reports.render") == "reports" and layer("grader.judge.grade") == "judge"
    g = graph()
    assert "grader.spec.course" in g["grader.judge.grade"]
    assert "grader.sandbox.worker" in g["grader.spec.reference"]
