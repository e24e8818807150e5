"""One MLflow parent run per pipeline run under plain `dvc repro` too: the stages DVC starts find their parent
by the dvc process they run under, and the parent carries the report's figures under the report's names."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# What DVC runs for a stage, reduced to what matters here: the CLI's wrapper around one stage's run.
STAGE = """
import sys
from components.pipeline_run import nest_stage
from components.tracking import stage_run
with nest_stage():
    with stage_run(sys.argv[1]) as tracker:
        tracker.metrics({"wall_seconds": 1.0})
        if sys.argv[1] == "broken":
            raise SystemExit(1)
"""

# A stand-in for the `dvc` command: one process that runs each stage as a child process, as `dvc repro` does.
FAKE_DVC = """#!{python}
import os, subprocess, sys
for stage in sys.argv[1:]:
    code = subprocess.run([sys.executable, "-c", {stage!r}, stage], env={{**os.environ, "DVC_STAGE": stage}}).returncode
    if code:
        sys.exit(code)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    for name in ("JUDGEOPS_PARENT_RUN_ID", "JUDGEOPS_PIPELINE_RUN", "DVC_STAGE", "DVC_EXP_NAME"):
        monkeypatch.delenv(name, raising=False)
    dvc = tmp_path / "bin" / "dvc"
    dvc.parent.mkdir()
    dvc.write_text(FAKE_DVC.format(python=sys.executable, stage=STAGE))
    dvc.chmod(0o755)
    return tmp_path


def repro(project: Path, *stages: str) -> int:
    return subprocess.run([str(project / "bin" / "dvc"), *stages], cwd=project, env=dict(os.environ)).returncode


def runs():
    import mlflow

    from components.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri())
    return mlflow.search_runs(search_all_experiments=True, output_format="list", order_by=["start_time ASC"])


def test_each_dvc_repro_gets_one_parent_run_with_its_stages_nested(project):
    from components.profiles import apply_profile

    apply_profile("tiny", project / "params.yaml")
    assert repro(project, "generate", "finetune") == 0
    assert repro(project, "report") == 0

    found = runs()
    parents = [r for r in found if "judgeops.stage" not in r.data.tags]
    assert len(parents) == 2, "one parent per repro"
    for parent, stages in zip(parents, (["generate", "finetune"], ["report"]), strict=True):
        children = [r for r in found if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
        assert sorted(r.data.tags["judgeops.stage"] for r in children) == sorted(stages)
        assert parent.info.status == "FINISHED"
        assert parent.info.run_name.startswith("tiny · params ")
        assert parent.data.tags["judgeops.profile"] == "tiny"
        assert "tiny" in parent.data.tags["mlflow.note.content"]  # the run's description in the UI
    import mlflow

    experiment = mlflow.get_experiment(parents[0].info.experiment_id)
    assert "pipeline run" in experiment.tags["mlflow.note.content"]
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # opens on the runs table


def test_a_failed_stage_fails_its_pipeline_run_and_a_stage_run_by_hand_has_no_parent(project):
    assert repro(project, "generate", "broken") != 0
    from components.pipeline_run import nest_stage
    from components.tracking import stage_run

    with nest_stage() as parent, stage_run("report"):  # `judgeops report` by hand: not a pipeline run
        assert parent is None
    found = runs()
    (parent,) = [r for r in found if "judgeops.stage" not in r.data.tags]
    assert parent.info.status == "FAILED"
    assert " · params " in parent.info.run_name
    by_hand = next(r for r in found if r.data.tags.get("judgeops.stage") == "report")
    assert "mlflow.parentRunId" not in by_hand.data.tags


HEADLINE = {
    "finetuned.accuracy": 0.7,
    "finetuned.accuracy_low": 0.6,
    "finetuned.accuracy_high": 0.8,
    "finetuned.cohen_kappa": 0.5,
    "finetuned.cohen_kappa_low": 0.4,
    "finetuned.cohen_kappa_high": 0.6,
    "finetuned.f1_macro": 0.65,
    "finetuned.f1_macro_low": 0.55,
    "finetuned.f1_macro_high": 0.75,
    "finetuned.correct_vs_wrong_auc": 0.9,
    "finetuned.correct_vs_wrong_auc_low": 0.85,
    "finetuned.correct_vs_wrong_auc_high": 0.95,
    "finetuned.consistency": 0.8,
    "finetuned.parse_failure_rate": 0.0,
    "finetuned.pearson.sample": 0.61,
    "finetuned.spearman.text": 0.52,
    "finetuned.kendall.system": math.nan,
    "base.accuracy": 0.3,
    "agreement_gain": 0.4,
    "promoted": 1,
    "test_pairs": 120,
}
AUDIT = [
    {"judge": "finetuned", "probe": "position", "metric": "consistency", "value": 0.9, "low": 0.8, "high": 0.95},
    {"judge": "finetuned", "probe": "verbosity", "metric": "rate", "value": 0.7, "low": 0.6, "high": 0.8, "flagged": 1},
    {"judge": "base", "probe": "self_enhancement", "metric": "", "value": math.nan, "skipped": "no family known"},
]


def test_the_parent_run_carries_the_reports_figures_under_the_reports_names(project):
    from mlflow import MlflowClient

    from components.pipeline_run import log_figures
    from components.reporting.run_summary import parent_figures
    from components.tracking import parent_run

    with parent_run("judge-pipeline") as run_id:
        pass
    log_figures(run_id, parent_figures(HEADLINE, AUDIT))
    run = MlflowClient().get_run(run_id)
    metrics = run.data.metrics
    assert metrics["finetuned.agreement"] == 0.7 and metrics["finetuned.agreement_low"] == 0.6
    assert metrics["finetuned.kappa_high"] == 0.6 and metrics["finetuned.macro_f1"] == 0.65
    assert metrics["finetuned.correct_vs_wrong_auc_low"] == 0.85
    assert metrics["finetuned.pearson.sample"] == 0.61 and metrics["finetuned.spearman.text"] == 0.52
    assert "finetuned.kendall.system" not in metrics, "no correlation (constant scores) is not a number"
    assert metrics["audit.finetuned.verbosity.rate_high"] == 0.8
    assert "promoted" not in metrics and "test_pairs" not in metrics, "counts and flags are not measurements"
    assert run.data.params["test_pairs"] == "120"
    assert run.data.tags["judgeops.promoted"] == "yes"
    assert run.data.tags["audit.finetuned.verbosity"] == "FLAGGED"
    assert run.data.tags["audit.base.self_enhancement"] == "not run: no family known"


def test_the_registered_version_is_described_with_its_figures_and_measuring_run(project):
    from mlflow import MlflowClient

    from components.pipeline_run import describe_version
    from components.reporting.run_summary import parent_figures
    from components.tracking import REGISTERED_MODEL, _mlflow

    _mlflow()
    client = MlflowClient()
    client.create_registered_model(REGISTERED_MODEL)
    client.create_model_version(REGISTERED_MODEL, "file:///nowhere", run_id=None)
    describe_version("1", parent_figures(HEADLINE, AUDIT), "abc123", "http://127.0.0.1:5000/#/runs/abc123")
    version = client.get_model_version(REGISTERED_MODEL, "1")
    assert "agreement 0.700 [0.600, 0.800]" in version.description
    assert "Cohen's kappa 0.500 [0.400, 0.600]" in version.description
    assert "http://127.0.0.1:5000/#/runs/abc123" in version.description
    assert version.tags["test_kappa"] == "0.5" and version.tags["test_agreement_low"] == "0.6"
    assert version.tags["audit_flagged"] == "verbosity" and version.tags["measured_in_run"] == "abc123"


def test_a_version_with_a_judge_card_keeps_the_card_as_its_description_and_gains_the_run(project):
    """The report stage publishes the card before the pipeline run closes: its summary must not replace it."""
    from mlflow import MlflowClient

    from components.pipeline_run import describe_version
    from components.reporting.run_summary import parent_figures
    from components.tracking import REGISTERED_MODEL, _mlflow

    _mlflow()
    client = MlflowClient()
    client.create_registered_model(REGISTERED_MODEL)
    client.create_model_version(REGISTERED_MODEL, "file:///nowhere", run_id=None)
    card = "# Judge card: judge v1\n\n## Known limits\n"
    client.update_model_version(REGISTERED_MODEL, "1", description=card)
    client.set_model_version_tag(REGISTERED_MODEL, "1", "card", "card/judge_card.json")
    for _ in range(2):  # a rerun adds the line once
        describe_version("1", parent_figures(HEADLINE, AUDIT), "abc123", "http://127.0.0.1:5000/#/runs/abc123")
    shown = client.get_model_version(REGISTERED_MODEL, "1").description
    assert (
        shown
        == f"Measured by the pipeline run http://127.0.0.1:5000/#/runs/abc123 (its report is under report/).\n\n{card}"
    )


def test_audit_rows_state_the_ci_and_not_run_plainly():
    from components.reporting.run_summary import audit_result_flags

    rows = {r["probe"]: r for r in audit_result_flags([*AUDIT, {**AUDIT[0], "probe": "empty", "value": math.nan}])}
    assert rows["verbosity"]["95% CI"] == "[0.600, 0.800]" and rows["verbosity"]["flag"] == "FLAGGED"
    assert rows["self_enhancement"]["flag"] == "not run: no family known"
    assert rows["self_enhancement"]["value"] is None and rows["self_enhancement"]["95% CI"] == "n/a"
    assert rows["empty"]["flag"].startswith("not run") and json.dumps(rows["empty"])
