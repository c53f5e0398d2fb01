"""The layers are visible in the tree and stay acyclic.

The import-linter contracts in ``pyproject.toml`` say which layer may import which (see
``test_core_free_of_ui``); these tests hold the rest of the layout: no import cycle between
any two modules of the project, a short top level in ``wizard/``, and a docstring in every
package saying what it is for and what it must not import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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


def test_no_import_cycles():
    graph = grimp.build_graph("wizard", "screens")
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("a", "b", "c"):
        graph.add_module(name)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="b", imported="c")
    assert _cycles(graph) == [["a", "b"]]


def test_the_top_level_of_the_core_stays_short():
    modules = sorted(p.name for p in (ROOT / "wizard").glob("*.py"))
    assert len(modules) <= 12, modules


def test_every_package_says_what_it_is_for_and_what_it_must_not_import():
    for init in sorted([*(ROOT / "wizard").rglob("__init__.py"), *(ROOT / "screens").rglob("__init__.py")]):
        docstring = " ".join((ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or "").split())
        assert docstring, f"{init.relative_to(ROOT)} has no docstring"
        if init.parent.name in {"rules", "widgets"}:
            continue
        assert "must not import" in docstring or "never import" in docstring, init.relative_to(ROOT)
