"""Where the report's figures came from: the git revision, the params the run used, the md5 of each
DVC-tracked output and each stage's MLflow run.

Only params.yaml is a declared dep of the report; the rest is read as the run left the workspace.
dvc.lock cannot be a dep: ``dvc repro`` rewrites it as each stage finishes, the report's own entry
included, so a report that depended on it would never be up to date. git, the MLflow runs and the
flow's profile record (in the environment) live outside the pipeline.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from components.config import PARAMS_FILE
from components.tracking import git_rev, stage_runs
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
    for stage, run_id in stage_runs(stages).items():
        lines.append(f"- MLflow run `{stage}`: `{run_id}`")
    return "\n".join(lines)


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
