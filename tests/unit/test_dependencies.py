"""The package declares what it needs: every third-party module that components/ and flows/ import
(read statically, imports inside functions included) comes from a distribution pyproject.toml declares;
requirements.txt pins exactly those distributions; requirements.lock, which `make install` installs,
holds each pin. A new import without its declaration fails here, not on a user's fresh install."""

from __future__ import annotations

import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions

from tests.conftest import REPO
from tests.imports import rel, top_level_imports

FIRST_PARTY = {"components", "flows"}
# Installed by the Makefile's own step (as the CPU build), so the lock leaves it out.
NOT_LOCKED = {"torch"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return canonical(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip()).group())


def declared() -> tuple[set[str], set[str]]:
    """The distributions pyproject.toml declares: (core dependencies, those of its extras)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = {requirement_name(spec) for spec in project["dependencies"]}
    extras = {requirement_name(spec) for specs in project.get("optional-dependencies", {}).values() for spec in specs}
    return core, extras


def pins(path) -> dict[str, str]:
    """``name==version`` lines of a requirements file, by canonical name."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if match:
            found[canonical(match[1])] = match[2]
    return found


def third_party_imports() -> dict[str, set[str]]:
    """Each third-party top-level module that components/ or flows/ imports, with the files importing it."""
    found: dict[str, set[str]] = {}
    for folder in FIRST_PARTY:
        for file in sorted((REPO / folder).rglob("*.py")):
            for name in top_level_imports(file) - FIRST_PARTY - set(sys.stdlib_module_names):
                found.setdefault(name, set()).add(rel(file))
    return found


@cache
def providers(module: str) -> frozenset[str]:
    """The distributions that install ``module``, from the installed metadata; a module that is not
    installed (an extra's, such as vllm) is taken to come from the distribution of its own name."""
    return frozenset(canonical(dist) for dist in _installed().get(module, [module]))


@cache
def _installed() -> dict[str, list[str]]:
    return packages_distributions()


def test_every_imported_third_party_module_is_declared():
    core, extras = declared()
    imports = third_party_imports()
    assert {"fastapi", "pandas", "torch"} <= set(imports), "the import walk missed modules the code surely imports"
    missing = {
        module: f"{sorted(providers(module))} imported by {sorted(files)[:3]}"
        for module, files in imports.items()
        if not providers(module) & (core | extras)
    }
    assert not missing, f"imported but not declared in pyproject.toml's dependencies: {missing}"


def test_requirements_pin_exactly_the_declared_dependencies():
    core, _ = declared()
    pinned = pins(REPO / "requirements.txt")
    unpinned = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert len(unpinned) == len(pinned), f"requirements.txt has lines that are not name==version: {unpinned}"
    assert set(pinned) == core, (
        f"declared, not pinned: {sorted(core - set(pinned))}; pinned, not declared: {sorted(set(pinned) - core)}"
    )


def test_the_lock_holds_every_pin():
    locked = pins(REPO / "requirements.lock")
    wanted = pins(REPO / "requirements.txt") | pins(REPO / "requirements-dev.txt")
    differ = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}
    assert set(differ) == NOT_LOCKED, f"requirements.lock is stale (run make lock): pin vs lock {differ}"
    assert "--hash=sha256:" in (REPO / "requirements.lock").read_text()
