"""One module per DVC stage, each declaring its contract as ``STAGE`` (contract.py) and exposing
``run(params, tracker) -> metrics``.

Stages never import each other: they talk through the files that dvc.yaml declares.
``execute`` is the shared wrapper: load and check params, open the MLflow run (recording the params
the stage declares), time the stage, write its metrics JSON.
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

log = logging.getLogger("judgeops")


class StageFailed(RuntimeError):
    """A stage ran and found its outputs unacceptable (e.g. a critical validation failure)."""


def execute(stage: str) -> dict:
    from components.stages.registry import STAGES  # imports every stage module, which import this package

    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    params = load_params()
    module = importlib.import_module(f"components.stages.{stage}")
    started = time.perf_counter()
    if int(os.environ.get("RANK", "0")) != 0:
        # Under a multi-process launcher only rank 0 records: one MLflow run, one metrics file.
        return module.run(params, NullTracker())
    with stage_run(stage, STAGES[stage].params_of(params)) as tracker:
        metrics = module.run(params, tracker)
        metrics["wall_seconds"] = round(time.perf_counter() - started, 2)
        tracker.metrics(metrics)
        write_json(paths.metrics_file(stage), metrics)
        tracker.artifact(paths.metrics_file(stage), "metrics")
    log.info("%s finished in %.1f s", stage, metrics["wall_seconds"])
    return metrics
