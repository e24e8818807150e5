"""The judge-pipeline flow: take the workspace (one run at a time), set params.yaml to the committed
file plus this run's profile and overrides, open the MLflow parent run, then run each DVC stage in
order with the run id passed down so stage runs nest under it; put the workspace's params.yaml
back at the end (components/workspace.py). The run's Prefect artifacts (flows/artifacts.py) link the
MLflow parent run and, once the stages are done, show the headline, the report and the audit flags.

Run it three ways: `prefect deployment run judge-pipeline/full` (after `make serve`),
`python -m flows.pipeline --profile tiny`, or plain `dvc repro` (whose stages open their own parent run,
components/pipeline_run.py). The flow run is named like its MLflow parent run. The judge-audit flow
(deployment judge-audit/audit) audits a named judge on a named pairs file without retraining.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import ExitStack, contextmanager
from typing import Any

from prefect import flow, get_client
from prefect.context import FlowRunContext

from components.config import PARAMS_FILE
from components.pipeline_run import parent_tags, run_name
from components.redaction import redact
from components.reporting.run_summary import mlflow_artifact_url
from components.stages.registry import STAGES
from components.tracking import PARENT_ENV, experiment_id, git_rev, mark_killed, parent_run, tracking_uri
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
            redact(
                f"profile {profile!r}, overrides {used.overrides}: {len(used.changed)} params changed from "
                f"the {used.base} params.yaml {used.changed}"
            )
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


def _flow_run_name() -> str:
    """The flow run's name before its params are known (profile and overrides); renamed like its MLflow
    parent run (components/pipeline_run.py ``run_name``) once the run has set params.yaml."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    overrides = ", ".join(f"{k}={v}" for k, v in (parameters.get("overrides") or {}).items())
    what = f"audit {parameters['judge']}" if parameters.get("judge") else parameters.get("profile") or "default"
    return f"{what}{' + ' + overrides if overrides else ''} · {time.strftime('%m-%d %H:%M')}"


def _name_run(used: RunParams, label: str) -> str:
    """The MLflow parent run's name, given to the Prefect flow run too, so the two UIs name a run alike."""
    name = run_name(label, used.sha256, git_rev())
    context = FlowRunContext.get()
    if context is not None and context.flow_run is not None:
        with get_client(sync_client=True) as client:
            client.update_flow_run(context.flow_run.id, name=name)
    return name


def _parent_tags(used: RunParams, started_by: str) -> dict:
    what = {
        "profile": used.profile,
        "changed": dict.fromkeys(used.changed),  # the keys; their values are in params.yaml, logged
        "experiment": "",
        "params_sha256": used.sha256,
        "git_rev": git_rev(),
    }
    return {**parent_tags(what, started_by), **used.tags()}


@flow(name="judge-pipeline", log_prints=True, flow_run_name=_flow_run_name)
def judge_pipeline(
    profile: str = "default",
    overrides: dict[str, Any] | None = None,
    stages: list[str] | None = None,
    stage_timeout_s: float = 3600,
) -> str:
    """Run the pipeline on the committed params.yaml plus this run's profile and overrides, never a
    previous run's, alone in the workspace. Returns the MLflow parent run id.

    Args:
        profile: A profile in profiles/ applied on top of the committed params.yaml: default, tiny,
            cpu-quality, gpu, gpu-check.
        overrides: Dotted params.yaml keys to set for this run only, e.g. {"finetune.max_steps": 96}.
        stages: The stages to run, in pipeline order (empty: all): base_model, generate, validate,
            finetune, judge, audit, report. DVC skips those already up to date.
        stage_timeout_s: Seconds one stage may run before its process group is killed.
    """
    stages = stages or list(STAGES)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stages {unknown}; stages: {', '.join(STAGES)}")
    with _run_workspace(profile, overrides) as used:
        os.environ.update({k: v for k, v in venv_env().items() if k.startswith(("MLFLOW_", "DVC_"))})
        with parent_run(
            _name_run(used, profile),
            {"profile": profile, "overrides": used.overrides, "stages": stages, "params_base": used.base},
            tags=_parent_tags(used, "prefect flow judge-pipeline"),
            files=(PARAMS_FILE,),
            flow="judge-pipeline",
        ) as run_id:
            publish_mlflow_run(run_id, tracking_uri())
            env = venv_env(_provenance(used, run_id))
            for stage in stages:
                repro_stage(stage, env, stage_timeout_s)
            report = mlflow_artifact_url(tracking_uri(), experiment_id(), run_id, "report/report.html")
            publish_results(ROOT, stages, report)
    return run_id


@flow(name="judge-audit", log_prints=True, flow_run_name=_flow_run_name)
def judge_audit(
    judge: str,
    data: str,
    profile: str = "default",
    overrides: dict[str, Any] | None = None,
    stage_timeout_s: float = 3600,
) -> str:
    """Audit one named judge on one named pairs file without retraining; the results go to
    audit-results/<MLflow run id>/. Returns the MLflow parent run id.

    Args:
        judge: Any spec `judgeops audit --judge` takes, e.g. models:/judge@champion, models/judge,
            openai:<model>@<base URL>, scripted:always_first.
        data: A pairs file (JSONL) relative to the project root, e.g. data/generated/test.jsonl.
        profile: A profile in profiles/ whose audit settings apply (default, tiny, ...).
        overrides: Dotted params.yaml keys to set for this run only, e.g. {"audit.max_items": 60}.
        stage_timeout_s: Seconds the audit may run before its process group is killed.
    """
    with _run_workspace(profile, overrides) as used:
        with parent_run(
            _name_run(used, f"audit {judge}"),
            {"judge": judge, "data": data, "profile": profile, "overrides": used.overrides},
            tags=_parent_tags(used, "prefect flow judge-audit"),
            files=(PARAMS_FILE,),
            flow="judge-audit",
        ) as run_id:
            publish_mlflow_run(run_id, tracking_uri())
            out = f"audit-results/{run_id}"
            audit_task(judge, data, out, venv_env(_provenance(used, run_id)), stage_timeout_s)
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
