"""One module per DVC stage, each exposing ``run(params, tracker) -> metrics``.

Stages never import each other: they talk through the files that dvc.yaml declares.
``execute`` is the shared wrapper: load and check params, open the MLflow run, time the
stage, write its metrics JSON.
"""

from __future__ import annotations

import importlib
import logging
import os
import time

from components import paths
from components.config import load_params
from components.io import write_json
from components.tracking import NullTracker, stage_run

STAGES = ("base_model", "generate", "validate", "finetune", "judge", "audit", "report")

# The params sections each stage reads (dvc.yaml lists the same).
SECTIONS = {
    "base_model": ["base_model"],
    "generate": ["generate"],
    "validate": ["validate"],
    "finetune": ["finetune", "judge"],
    "judge": ["judge", "finetune"],
    "audit": ["audit", "judge"],
    "report": ["report", "audit"],
}

log = logging.getLogger("judgeops")


class StageFailed(RuntimeError):
    """A stage ran and found its outputs unacceptable (e.g. a critical validation failure)."""


def execute(stage: str) -> dict:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    params = load_params()
    module = importlib.import_module(f"components.stages.{stage}")
    sections = {name: _section(params, name) for name in SECTIONS[stage]}
    started = time.perf_counter()
    if int(os.environ.get("RANK", "0")) != 0:
        # Under a multi-process launcher only rank 0 records: one MLflow run, one metrics file.
        return module.run(params, NullTracker())
    with stage_run(stage, sections) as tracker:
        metrics = module.run(params, tracker)
        metrics["wall_seconds"] = round(time.perf_counter() - started, 2)
        tracker.metrics(metrics)
        write_json(paths.metrics_file(stage), metrics)
        tracker.artifact(paths.metrics_file(stage), "metrics")
    log.info("%s finished in %.1f s", stage, metrics["wall_seconds"])
    return metrics


def _section(params, name: str) -> dict:
    value = getattr(params, "validate_" if name == "validate" else name)
    return value.model_dump(mode="json")
