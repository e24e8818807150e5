"""Every stage's code deps are complete: each `components` module its stage module imports, directly or
through others (imports inside functions too), lies under a dep it declares, so editing it reruns the
stage. Read statically from the source, so nothing is imported; an import by a computed name
(``import_module(f"...{kind}")``) is not seen, so such modules must sit in a folder the stage declares."""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

import pytest

from components.stages.registry import STAGES
from tests.conftest import REPO

# Imports that cannot change a stage's outputs: config looks up the template registry only to reject an
# unknown finetune.template before any work (the stages that render templates declare components/judges).
VALIDATION_ONLY = {("components/config.py", "components.judges.templates")}


def module_file(name: str) -> Path | None:
    base = REPO.joinpath(*name.split("."))
    for file in (base / "__init__.py", base.with_suffix(".py")):
        if file.is_file():
            return file
    return None


def imported_names(source: Path) -> set[str]:
    """Module names in import statements, the imported names too (``from x import y`` may import ``x.y``),
    and string constants that name a module (``code_fingerprint("components.judges.parsers")``)."""
    skipped = {name for file, name in VALIDATION_ONLY if file == rel(source)}
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{rel(source)}:{node.lineno}: a relative import; the walk reads absolute ones")
        elif isinstance(node, ast.ImportFrom) and node.module not in skipped:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("components."):
            names.add(node.value)
    return names - skipped


def imported_files(source: Path) -> set[Path]:
    """The `components` files importing ``source`` runs: each named module and the packages above it."""
    found = set()
    for name in imported_names(source):
        parts = name.split(".")
        if parts[0] != "components":
            continue
        for end in range(1, len(parts) + 1):
            file = module_file(".".join(parts[:end]))
            if file is not None:
                found.add(file)
    return found


def closure(start: Path) -> set[str]:
    seen: set[Path] = set()
    todo = [start]
    while todo:
        file = todo.pop()
        if file not in seen:
            seen.add(file)
            todo += imported_files(file)
    return {rel(file) for file in seen}


def rel(file: Path) -> str:
    return file.relative_to(REPO).as_posix()


def covers(dep: str, file: str) -> bool:
    return dep == file or PurePosixPath(dep) in PurePosixPath(file).parents


def code_deps(stage) -> list[str]:
    return [dep for dep in stage.all_deps if dep.startswith("components/")]


@pytest.mark.parametrize("name", list(STAGES))
def test_every_imported_module_is_a_declared_dep(name):
    stage = STAGES[name]
    missing = sorted(file for file in closure(REPO / stage.module) if not any(covers(d, file) for d in stage.all_deps))
    assert not missing, f"stage {name} imports these, but its STAGE does not declare them as deps: {missing}"


@pytest.mark.parametrize("name", list(STAGES))
def test_every_declared_code_dep_is_imported(name):
    stage = STAGES[name]
    used = closure(REPO / stage.module)
    stale = [dep for dep in code_deps(stage) if not any(covers(dep, file) for file in used)]
    assert not stale, f"stage {name} declares code deps it never imports: {stale}"


@pytest.mark.parametrize("name", list(STAGES))
def test_a_stage_imports_no_other_stage(name):
    """Stages talk through files: another stage's code in the closure would be an undeclared dep."""
    others = {STAGES[other].module for other in STAGES if other != name}
    assert not closure(REPO / STAGES[name].module) & others


def test_the_walk_follows_imports_inside_functions_and_packages():
    found = closure(REPO / "components" / "data" / "answers.py")
    assert {"components/textgen.py", "components/data/__init__.py", "components/__init__.py"} <= found
