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
    assert sorted(r.data.tags.get("judgeops.stage") for r in runs) == sorted(STAGES)
    assert str(MlflowClient().get_model_version_by_alias("judge", "champion").version) == "1"

    again = run([str(BIN / "dvc"), "repro"], project, env)
    assert "Running stage" not in again.stdout, "a second repro must be a no-op"

    run([str(BIN / "dvc"), "exp", "run", "-S", "report.seed=99"], project, env)
    exp = run([str(BIN / "dvc"), "exp", "show", "--json"], project, env)
    assert "report.seed" in exp.stdout or '"seed": 99' in exp.stdout
    stages_run = {
        r.data.tags.get("judgeops.stage") for r in mlflow.search_runs(search_all_experiments=True, output_format="list")
    }
    assert len(mlflow.search_runs(search_all_experiments=True, output_format="list")) == len(STAGES) + 1
    assert stages_run == set(STAGES), "a report param change reruns only the report stage"
