"""No two modules of punie_core import each other, not even behind `TYPE_CHECKING` or in a function.

import-linter sees the same imports but allows cycles inside one layer; this walks every
`import` statement of every module with `ast` (module level, `if TYPE_CHECKING:` blocks,
function bodies) and fails on any cycle, naming the imports that close it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "punie_core"


def module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, dict[str, int]]:
    """Module -> {imported module of the package: line of the first such import}.

    `from a.b import c` names `a.b.c` when that is a module, else `a.b` (as import-linter does).
    The root package is left out: it is the plugins' facade, above every layer.
    """
    paths = {module_name(p, package): p for p in package.rglob("*.py")}
    package_root = package.name
    graph: dict[str, dict[str, int]] = {}
    for name, path in paths.items():
        edges: dict[str, int] = {}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                if target in paths and target not in (name, package_root):
                    edges.setdefault(target, node.lineno)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(component: list[str], graph: dict[str, dict[str, int]]) -> str:
    members = set(component)
    return "\n".join(
        f"  {module} -> {target} (line {line})"
        for module in component
        for target, line in sorted(graph[module].items())
        if target in members
    )


def test_a_cycle_hidden_in_a_function_or_behind_type_checking_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from pkg.low import helper\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "low.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub.high import High\n"
        "def helper():\n    from .sub import high\n"
    )
    (package / "sub" / "high.py").write_text("from ..low import helper\nclass High: ...\n")
    graph = import_graph(package)
    assert graph["pkg.low"] == {"pkg.sub.high": 3}
    assert graph["pkg.sub.high"] == {"pkg.low": 1}
    assert cycles(graph) == [["pkg.low", "pkg.sub.high"]]


def test_no_module_of_punie_core_is_part_of_an_import_cycle() -> None:
    graph = import_graph()
    found = cycles(graph)
    report = "\n\n".join(describe(component, graph) for component in found)
    assert found == [], f"import cycles (move code down a layer or pass it in):\n{report}"
