"""The judge-pipeline flow: apply the profile to params.yaml, open the MLflow parent run, then
run each DVC stage in order with the run id passed down so stage runs nest under it.

Run it three ways: `prefect deployment run judge-pipeline/full` (after `make serve`),
`python -m flows.pipeline --profile tiny`, or plain `dvc repro`.
"""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from typing import Literal

from prefect import flow

from components.profiles import apply_profile
from components.stages import STAGES
from components.tracking import PARENT_ENV, parent_run
from flows.stage_task import ROOT, audit_task, repro_stage, venv_env


@contextmanager
def _in_root():
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(previous)


@flow(name="judge-pipeline", log_prints=True)
def judge_pipeline(
    profile: str = "default",
    overrides: dict | None = None,
    stages: list[str] | None = None,
    stage_timeout_s: float = 3600,
    mode: Literal["full", "audit"] = "full",
    judge: str | None = None,
    data: str | None = None,
) -> str:
    """Run the pipeline (mode full), or audit one named judge on one named dataset without
    retraining (mode audit: `judge` is any spec `judgeops audit --judge` takes, `data` a pairs
    file). Returns the MLflow parent run id."""
    if mode == "audit":
        return _audit(profile, overrides, judge, data, stage_timeout_s)
    stages = stages or list(STAGES)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stages {unknown}; stages: {', '.join(STAGES)}")
    with _in_root():
        os.environ.update({k: v for k, v in venv_env().items() if k.startswith(("MLFLOW_", "DVC_"))})
        changed = apply_profile(profile, extra=overrides)
        print(f"profile {profile!r}: {len(changed)} params changed {changed}")
        with parent_run(
            "judge-pipeline", {"profile": profile, "overrides": overrides or {}, "stages": stages}
        ) as run_id:
            env = venv_env({PARENT_ENV: run_id})
            for stage in stages:
                repro_stage(stage, env, stage_timeout_s)
    return run_id


def _audit(profile: str, overrides: dict | None, judge: str | None, data: str | None, timeout_s: float) -> str:
    if not judge or not data:
        raise ValueError(
            "mode=audit needs both parameters: judge (e.g. models:/judge@champion) and data (a pairs file)"
        )
    with _in_root():
        apply_profile(profile, extra=overrides)
        with parent_run("judge-pipeline/audit", {"judge": judge, "data": data, "profile": profile}) as run_id:
            out = f"audit-results/{run_id}"
            audit_task(judge, data, out, venv_env({PARENT_ENV: run_id}), timeout_s)
            print(f"audit results in {ROOT / out}")
    return run_id


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the judge pipeline once, without a server's deployment.")
    parser.add_argument("--profile", default="default")
    parser.add_argument("-S", "--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    args = parser.parse_args()
    import yaml

    overrides = {key: yaml.safe_load(value) for key, value in (item.split("=", 1) for item in args.set)}
    print(judge_pipeline(profile=args.profile, overrides=overrides))


if __name__ == "__main__":
    main()
