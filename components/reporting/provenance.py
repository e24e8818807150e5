"""Where the report's figures came from: the git revision, the params the run used, the md5 of each
DVC-tracked output and each stage's MLflow run (linked to the MLflow UI).

Only params.yaml is a declared dep of the report; the rest is read as the run left the workspace.
dvc.lock cannot be a dep: ``dvc repro`` rewrites it as each stage finishes, the report's own entry
included, so a report that depended on it would never be up to date. git, the MLflow runs and the
flow's profile record (in the environment) live outside the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

from components.config import PARAMS_FILE
from components.reporting.run_summary import mlflow_run_url
from components.tracking import PARENT_ENV, git_rev, stage_runs, tracking_uri
from components.workspace import from_env

LOCK_FILE = Path("dvc.lock")


def provenance(stages: tuple[str, ...]) -> str:
    """Markdown list lines: git rev, params, the outputs in dvc.lock (metrics files left out: the report
    states their figures) and the latest MLflow run of each of ``stages``."""
    lines = [f"- git rev: `{git_rev()}`", *params_provenance()]
    if LOCK_FILE.exists():
        locked = (yaml.safe_load(LOCK_FILE.read_text()) or {}).get("stages", {})
        for stage, body in locked.items():
            for out in body.get("outs", []):
                if out["path"].startswith("metrics/"):
                    continue
                lines.append(f"- dvc `{stage}` out `{out['path']}`: md5 `{out.get('md5', '?')}`")
    uri = tracking_uri()
    parent = os.environ.get(PARENT_ENV)
    if parent:
        lines.append(
            f"- MLflow pipeline run (the parent of its stages' runs): [{parent}]({mlflow_run_url(uri, parent)})"
        )
    here = stage_runs(stages)  # the stages that ran in this pipeline run
    earlier = _latest_anywhere([stage for stage in stages if stage not in here]) if parent else {}
    for stage in stages:
        if stage in here or stage in earlier:
            run_id = here.get(stage) or earlier[stage]
            note = "" if stage in here else " (up to date: from an earlier pipeline run)"
            lines.append(f"- MLflow run `{stage}`: [{run_id}]({mlflow_run_url(uri, run_id)}){note}")
    return "\n".join(lines)


def _latest_anywhere(stages: list[str]) -> dict[str, str]:
    """The latest run of each of ``stages`` in any pipeline run: DVC skipped them in this one."""
    if not stages:
        return {}
    parent = os.environ.pop(PARENT_ENV)
    try:
        return stage_runs(tuple(stages))
    finally:
        os.environ[PARENT_ENV] = parent


def params_provenance() -> list[str]:
    """Which params this report's run used: the flow's record (profile, overrides, base) when a flow
    run drove the stages, and the sha256 of the params.yaml the stages read."""
    digest = hashlib.sha256(PARAMS_FILE.read_bytes()).hexdigest() if PARAMS_FILE.exists() else "missing"
    record = from_env()
    if record is None:
        lines = ["- params: the workspace's params.yaml as found (the stages ran without the flow: no profile record)"]
    else:
        overrides = json.dumps(record.get("overrides") or {}, sort_keys=True)
        lines = [
            f"- profile: `{record.get('profile')}`; overrides: `{overrides}`; "
            f"on the {record.get('base')} params.yaml ({len(record.get('changed') or [])} keys changed)",
        ]
        if record.get("mlflow_run_id"):
            lines.append(f"- flow's MLflow run: `{record['mlflow_run_id']}`")
        if record.get("sha256") and record["sha256"] != digest:
            lines.append(f"- **params.yaml changed during the run**: the flow set it to sha256 `{record['sha256']}`")
    lines.append(f"- params.yaml sha256: `{digest}`")
    return lines
