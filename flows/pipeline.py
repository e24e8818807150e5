"""The judge-pipeline flow: take the workspace (one run at a time), set params.yaml to the committed
file plus this run's profile and overrides, open the MLflow parent run, then run each DVC stage in
order with the run id passed down so stage runs nest under it; put the workspace's params.yaml
back at the end (components/workspace.py). The run's Prefect artifacts (flows/artifacts.py) link the
MLflow parent run and, once the stages are done, show the headline, the report and the audit flags.

Run it three ways: `prefect deployment run judge-pipeline/full` (after `make serve`),
`python -m flows.pipeline --profile tiny`, or plain `dvc repro`.
"""

from __future__ import annotations

import argparse
import json
import os
from contextlib import ExitStack, contextmanager
from typing import Literal

from prefect import flow

from components.config import PARAMS_FILE
from components.stages.registry import STAGES
from components.tracking import PARENT_ENV, mark_killed, parent_run, tracking_uri
from components.workspace import RUN_ENV, RunParams, params_for_run, workspace_lock
from flows.artifacts import publish_audit_results, publish_mlflow_run, publish_results
from flows.stage_task import ROOT, audit_task, repro_stage, venv_env


@contextmanager
def _in_root():
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(previous)


@contextmanager
def _run_workspace(profile: str, overrides: dict | None):
    """The project root, held for this run alone, with params.yaml as this run needs it; yields
    what the run's params were made of. Everything is put back on the way out."""
    with ExitStack() as stack:
        stack.enter_context(_in_root())
        stack.enter_context(workspace_lock())
        used = stack.enter_context(params_for_run(profile, overrides))
        dead = used.interrupted_run
        if dead is not None:
            killed = dead.get("mlflow_run_id") and mark_killed(dead["mlflow_run_id"])
            print(
                "a previous flow run was killed before it could clean up: params.yaml restored"
                + (f", its MLflow run {dead['mlflow_run_id']} marked KILLED" if killed else "")
            )
        print(
            f"profile {profile!r}, overrides {used.overrides}: {len(used.changed)} params changed from "
            f"the {used.base} params.yaml {used.changed}"
        )
        if used.set_aside:
            print(
                "the workspace's params.yaml differs from the committed one and is not used by this run "
                "(it is restored afterwards); pass such changes as overrides, or commit them"
            )
        yield used


def _provenance(used: RunParams, run_id: str) -> dict:
    """The stages' environment additions: the parent run to nest under and the run's provenance
    record (the report shows it). The record also waits in .state for a successor, should this
    run be killed before it ends."""
    used.note_run(run_id)
    return {PARENT_ENV: run_id, RUN_ENV: json.dumps({**used.record(), "mlflow_run_id": run_id}, sort_keys=True)}


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
    file). Each run uses the committed params.yaml plus its own profile and overrides, never a
    previous run's, and runs alone in the workspace. Returns the MLflow parent run id."""
    if mode == "audit":
        return _audit(profile, overrides, judge, data, stage_timeout_s)
    stages = stages or list(STAGES)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stages {unknown}; stages: {', '.join(STAGES)}")
    with _run_workspace(profile, overrides) as used:
        os.environ.update({k: v for k, v in venv_env().items() if k.startswith(("MLFLOW_", "DVC_"))})
        with parent_run(
            "judge-pipeline",
            {"profile": profile, "overrides": used.overrides, "stages": stages, "params_base": used.base},
            tags=used.tags(),
            files=(PARAMS_FILE,),
        ) as run_id:
            publish_mlflow_run(run_id, tracking_uri())
            env = venv_env(_provenance(used, run_id))
            for stage in stages:
                repro_stage(stage, env, stage_timeout_s)
            publish_results(ROOT, stages)
    return run_id


def _audit(profile: str, overrides: dict | None, judge: str | None, data: str | None, timeout_s: float) -> str:
    if not judge or not data:
        raise ValueError(
            "mode=audit needs both parameters: judge (e.g. models:/judge@champion) and data (a pairs file)"
        )
    with _run_workspace(profile, overrides) as used:
        with parent_run(
            "judge-pipeline/audit",
            {"judge": judge, "data": data, "profile": profile, "overrides": used.overrides},
            tags=used.tags(),
            files=(PARAMS_FILE,),
        ) as run_id:
            publish_mlflow_run(run_id, tracking_uri())
            out = f"audit-results/{run_id}"
            audit_task(judge, data, out, venv_env(_provenance(used, run_id)), timeout_s)
            publish_audit_results(ROOT / out / "results.json")
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
