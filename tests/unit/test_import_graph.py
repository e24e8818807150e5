"""Imports in `components` flow one way: no module imports itself back through others, and no subpackage
(data, teachers, judges, ...) imports one that imports it. Imports inside functions and under
TYPE_CHECKING count: deferring an import hides a circle from Python, not from the design. Read
statically (tests/imports.py), so nothing is imported."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

import pytest

from tests.conftest import REPO
from tests.imports import imported_modules, module_file, module_name


def module_graph() -> dict[str, set[str]]:
    """Each `components` module and the `components` modules it imports (a package is its __init__)."""
    files = sorted((REPO / "components").rglob("*.py"))
    return {module_name(file): imported_modules(file) - {module_name(file)} for file in files}


def area(module: str) -> str:
    """The part of `components` a module belongs to: its subpackage (``components.data``) or, at the
    top, the module itself (``components.config``)."""
    return ".".join(module.split(".")[:2])


def area_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    areas: dict[str, set[str]] = {}
    for module, imported in graph.items():
        areas.setdefault(area(module), set()).update(area(other) for other in imported if area(other) != area(module))
    return areas


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return error.args[1]
    return None


def test_no_module_imports_itself_back():
    cycle = find_cycle(module_graph())
    assert cycle is None, f"modules import each other: {' -> '.join(cycle)}"


def test_no_subpackage_imports_one_that_imports_it():
    cycle = find_cycle(area_graph(module_graph()))
    assert cycle is None, f"parts of components import each other: {' -> '.join(cycle)}"


def test_config_sits_below_every_registry():
    """Config checks params.yaml against components.vocabulary (and key variable names against
    components.key_vars), never against the registries themselves; both import nothing of ours."""
    assert imported_modules(REPO / "components" / "config.py") == {"components.vocabulary", "components.key_vars"}
    assert not imported_modules(REPO / "components" / "vocabulary.py")
    assert not imported_modules(REPO / "components" / "key_vars.py")


@pytest.mark.parametrize(
    "graph, circle",
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, {"a", "b", "c"}),
        ({"a": {"b"}, "b": set()}, None),
    ],
)
def test_the_cycle_finder_finds_circles_and_only_them(graph, circle):
    found = find_cycle(graph)
    assert (set(found) if found else None) == circle


def test_the_walk_sees_imports_inside_functions_and_under_type_checking(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from components.schemas import Pair\n"
        "def f():\n    from components.judges import parsers\n"
        "    import components.io\n"
    )
    assert imported_modules(source) == {"components.schemas", "components.judges.parsers", "components.io"}
    assert module_file("components.judges") == REPO / "components" / "judges" / "__init__.py"
