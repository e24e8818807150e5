"""Every stage's code deps are complete: each `components` module its stage module imports, directly or
through others (imports inside functions too), lies under a dep it declares, so editing it reruns the
stage. Read statically from the source (tests/imports.py), so nothing is imported; an import by a computed
name (``import_module(f"...{kind}")``) is not seen, so such modules must sit in a folder the stage declares."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from components.stages.registry import STAGES
from tests.conftest import REPO
from tests.imports import closure


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
