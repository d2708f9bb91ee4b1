"""The package's layers, as `docs/architecture.md` lists them, hold: imports point downward only,
no two modules import each other (directly or round a loop), and every module has a layer.

Imports inside functions count (a lazy import is still a dependency); imports under
`if TYPE_CHECKING:` do not (they exist for type hints only and never run).
"""

from __future__ import annotations

import ast
import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "ngcm_lab"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"


def modules() -> set[str]:
    """Top-level modules and subpackages of ngcm_lab."""
    files = {p.stem for p in PACKAGE.glob("*.py")}
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    return files | packages


def documented_layers() -> dict[str, int]:
    """Module → layer number from the numbered list of the "Layers" section: a module is named
    there as `name.py`, a subpackage as `name`."""
    text = ARCHITECTURE.read_text()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    known, layer_of, layer = modules(), {}, None
    for line in section.splitlines():
        numbered = re.match(r"^(\d+)\. ", line)
        if numbered:
            layer = int(numbered.group(1))
        if layer is None:
            continue
        for token in re.findall(r"`([A-Za-z_][\w.]*)`", line):
            name = token.removesuffix(".py")
            is_module = token.endswith(".py") or (PACKAGE / token / "__init__.py").is_file()
            if name in known and is_module:
                assert layer_of.get(name, layer) == layer, f"{name} is listed in two layers"
                layer_of[name] = layer
    return layer_of


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The ngcm_lab modules a syntax tree imports, outside `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] == "ngcm_lab":
                names = [parts[1]] if len(parts) > 1 else [a.name for a in node.names]
                found.update(n for n in names if n in known)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "ngcm_lab" and len(parts) > 1 and parts[1] in known:
                    found.add(parts[1])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the other ngcm_lab modules it imports (a subpackage's files count as it)."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for path in PACKAGE.rglob("*.py"):
        owner = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        graph[owner] |= _imported(ast.parse(path.read_text()), known) - {owner}
    return graph


def test_every_module_has_a_layer():
    missing = sorted(modules() - set(documented_layers()))
    assert not missing, f"add these to the Layers section of docs/architecture.md: {missing}"


def test_imports_point_downward():
    layer_of, graph = documented_layers(), import_graph()
    upward = [
        f"{source} (layer {layer_of[source]}) imports {target} (layer {layer_of[target]})"
        for source, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer_of[target] > layer_of[source]
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    graph = import_graph()
    cycles, seen = [], set()

    def walk(node: str, path: list[str]) -> None:
        for target in sorted(graph[node]):
            if target in path:
                cycle = path[path.index(target) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    cycles.append(" → ".join([*cycle, target]))
            elif len(path) < len(graph):
                walk(target, [*path, target])

    for start in sorted(graph):
        walk(start, [start])
    assert not cycles, "\n".join(cycles)


def test_the_checker_sees_an_upward_import_and_ignores_type_hints():
    """The test's own parser, on made-up sources: a lazy upward import is found; one under
    TYPE_CHECKING is not."""
    known = {"training", "widgets"}
    lazy = ast.parse("def f():\n    from ngcm_lab.widgets import TrainingDashboard\n")
    hinted = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ngcm_lab import training\n"
    )
    assert _imported(lazy, known) == {"widgets"}
    assert _imported(hinted, known) == set()
