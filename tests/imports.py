"""What a `components` module imports, read statically from its source so nothing is imported: the
stage-deps test follows it to each stage's code, the import-graph test looks for circles in it, and the
dependency test checks that each third-party package it names is declared.

Imports inside functions count, and so do string constants that name a module
(``code_fingerprint("components.judges.parsers")`` imports it); an import by a computed name
(``import_module(f"...{kind}")``) is not seen.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO


def module_file(name: str) -> Path | None:
    base = REPO.joinpath(*name.split("."))
    for file in (base / "__init__.py", base.with_suffix(".py")):
        if file.is_file():
            return file
    return None


def module_name(file: Path) -> str:
    parts = file.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: Path) -> set[str]:
    """The `components` modules ``source`` names: ``from x import y`` names ``x.y`` when that is a module,
    else ``x``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{rel(source)}:{node.lineno}: a relative import; the walk reads absolute ones")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.add(full if module_file(full) else node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("components."):
            names.add(node.value)
    return {name for name in names if name.split(".")[0] == "components" and module_file(name)}


def top_level_imports(source: Path) -> set[str]:
    """The first part of every module ``source`` imports by name (``from a.b import c`` names ``a``),
    first-party, standard library and third-party alike."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module.split(".")[0])
    return names


def imported_files(source: Path) -> set[Path]:
    """The `components` files importing ``source`` runs: each module it names and the packages above it."""
    found = set()
    for name in imported_modules(source):
        parts = name.split(".")
        found |= {module_file(".".join(parts[:end])) for end in range(1, len(parts) + 1)}
    return found - {None}


def closure(start: Path) -> set[str]:
    """Every `components` file importing ``start`` runs, directly or through others, as repository paths."""
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
