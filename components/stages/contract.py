"""A stage's contract, declared once as ``STAGE`` in its module: what it reads and what it writes.

dvc.yaml is rendered from these declarations (``judgeops dvc-yaml``), the CLI has one command per
declared stage, and the stage's MLflow run records exactly the params it declares. Declaring imports
nothing heavy, so the registry can read every stage's contract without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from components import paths

# The code every stage runs under: the wrapper that loads params, opens the MLflow run and writes the
# metrics file, and what it imports. A change here can change any stage's outputs.
SHARED_DEPS = (
    "components/__init__.py",
    "components/stages/__init__.py",
    "components/stages/contract.py",
    "components/stages/registry.py",
    "components/config.py",
    "components/io.py",
    "components/key_vars.py",
    "components/paths.py",
    "components/redaction.py",
    "components/tracking.py",
    "components/vocabulary.py",
)


@dataclass(frozen=True)
class Out:
    """An output as dvc.yaml lists it; ``cache=False`` keeps it in git, ``x``/``y`` are a plot's axes."""

    path: str
    cache: bool = True
    x: str | None = None
    y: str | None = None

    def options(self) -> dict:
        found = {"cache": None if self.cache else False, "x": self.x, "y": self.y}
        return {key: value for key, value in found.items() if value is not None}


@dataclass(frozen=True)
class Stage:
    """``help``: one sentence, for ``judgeops <command> --help`` and dvc.yaml's ``desc``.
    ``params``: the params.yaml keys the stage reads (a section, or a dotted key such as
    ``finetune.template``). ``deps``: data and code besides the stage's own module and SHARED_DEPS; a
    folder covers everything under it. ``metrics``: besides ``metrics/<name>.json``, which every stage
    writes."""

    name: str
    help: str
    params: tuple[str, ...]
    deps: tuple[str, ...]
    outs: tuple[Out, ...] = ()
    metrics: tuple[Out, ...] = ()
    plots: tuple[Out, ...] = ()

    @property
    def command(self) -> str:
        return self.name.replace("_", "-")

    @property
    def module(self) -> str:
        return f"components/stages/{self.name}.py"

    @property
    def all_deps(self) -> tuple[str, ...]:
        return (self.module, *self.deps, *SHARED_DEPS)

    @property
    def all_metrics(self) -> tuple[Out, ...]:
        return (Out(str(paths.metrics_file(self.name)), cache=False), *self.metrics)

    @property
    def writes(self) -> tuple[str, ...]:
        return tuple(out.path for out in (*self.outs, *self.all_metrics, *self.plots))

    def params_of(self, params) -> dict:
        """The declared keys' values from ``params`` (a config.Params), nested as in params.yaml."""
        full = params.model_dump(mode="json", by_alias=True)
        picked: dict = {}
        for key in self.params:
            *sections, leaf = key.split(".")
            source, target = full, picked
            for section in sections:
                source, target = source[section], target.setdefault(section, {})
            target[leaf] = source[leaf]
        return picked
