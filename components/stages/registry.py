"""The pipeline's stages: every module in this package that declares a ``STAGE``, in pipeline order.

A new stage is a new module; nothing else lists it. The order follows the data: a stage comes after
every stage whose outputs it reads (ties by name). The modules are imported by name, not by an
import statement, so no stage's code becomes another's dependency.
"""

from __future__ import annotations

import importlib
import pkgutil
from graphlib import TopologicalSorter
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from components.stages.contract import Stage


def _declared() -> dict[str, Stage]:
    """Found by listing this module's folder: importing the package to list it would import it back."""
    found = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        module = importlib.import_module(f"{__package__}.{info.name}")
        stage = getattr(module, "STAGE", None)
        if isinstance(stage, Stage):
            found[stage.name] = stage
    return found


def _reads(path: str, written: str) -> bool:
    """A dep reads an output when one path lies within (or is) the other: ``data/generated/train.jsonl``
    reads ``data/generated``."""
    dep, out = PurePosixPath(path), PurePosixPath(written)
    return dep == out or out in dep.parents or dep in out.parents


def in_order(stages: dict[str, Stage]) -> dict[str, Stage]:
    after = {
        name: {
            other.name
            for other in stages.values()
            if other.name != name and any(_reads(dep, out) for dep in stage.deps for out in other.writes)
        }
        for name, stage in stages.items()
    }
    sorter = TopologicalSorter(after)
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return {name: stages[name] for name in order}


STAGES: MappingProxyType[str, Stage] = MappingProxyType(in_order(_declared()))
