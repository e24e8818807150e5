"""The tiny profile end to end through `dvc repro`, tracked in MLflow."""

import json

import pytest

from components.stages.registry import STAGES
from tests.e2e.conftest import BIN, project_env, run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_tiny_profile_through_dvc(project):
    env = project_env(project)
    run([str(BIN / "dvc"), "repro"], project, env)

    headline = json.loads((project / "reports" / "headline.json").read_text())
    for judge in ("finetuned", "base"):
        assert 0 <= headline[f"{judge}.accuracy"] <= 1
        assert f"{judge}.consistency" in headline
    report = (project / "reports" / "report.md").read_text()
    assert "## Headline" in report and "## Bias audit" in report and "## Wall time per stage" in report
    assert (project / "reports" / "plots" / "confusion_finetuned.png").stat().st_size > 1000
    assert "data:image/png;base64," in (project / "reports" / "report.html").read_text()

    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    stage_runs = [r for r in runs if "judgeops.stage" in r.data.tags]
    assert sorted(r.data.tags["judgeops.stage"] for r in stage_runs) == sorted(STAGES)
    (parent,) = [r for r in runs if "judgeops.stage" not in r.data.tags]  # one pipeline run, one parent
    assert {r.data.tags.get("mlflow.parentRunId") for r in stage_runs} == {parent.info.run_id}
    assert parent.info.run_name.startswith("tiny · params ") and parent.info.status == "FINISHED"
    for name in ("agreement", "kappa", "macro_f1"):  # the report's names, with their CIs, on the parent
        for end in ("", "_low", "_high"):
            assert f"finetuned.{name}{end}" in parent.data.metrics
    assert "promoted" not in parent.data.metrics and parent.data.params["test_pairs"] == str(headline["test_pairs"])
    correlations = ("finetuned.pearson.sample", "finetuned.kendall.system")
    # a tiny random judge may state no score at all, and then there is nothing to correlate
    if headline["finetuned.parse_failure_rate"] < 1:
        assert all(key in headline and key in parent.data.metrics for key in correlations)
    else:
        assert not any(key in headline for key in correlations)
    assert "report/report.html" in [a.path for a in MlflowClient().list_artifacts(parent.info.run_id, "report")]
    assert str(MlflowClient().get_model_version_by_alias("judge", "champion").version) == "1"
    assert "agreement" in MlflowClient().get_model_version("judge", "1").description

    again = run([str(BIN / "dvc"), "repro"], project, env)
    assert "Running stage" not in again.stdout, "a second repro must be a no-op"

    run([str(BIN / "dvc"), "exp", "run", "-S", "report.seed=99"], project, env)
    exp = run([str(BIN / "dvc"), "exp", "show", "--json"], project, env)
    assert "report.seed" in exp.stdout or '"seed": 99' in exp.stdout
    runs = mlflow.search_runs(search_all_experiments=True, output_format="list", order_by=["start_time ASC"])
    stage_runs = [r for r in runs if "judgeops.stage" in r.data.tags]
    parents = [r for r in runs if "judgeops.stage" not in r.data.tags]
    assert len(stage_runs) == len(STAGES) + 1, "a report param change reruns only the report stage"
    assert len(parents) == 2, "the experiment is a pipeline run of its own"
    (child,) = [r for r in stage_runs if r.data.tags.get("mlflow.parentRunId") == parents[1].info.run_id]
    assert child.data.tags["judgeops.stage"] == "report" and "finetuned.agreement" in parents[1].data.metrics
