"""A flow run publishes its story as Prefect artifacts, read back from a temporary Prefect server
(prefect_test_harness, ~20 s to start: one per module), and a stage task retries a transient failure
once but never a stage's own error."""

from __future__ import annotations

import json
import os
import sys

import pytest
from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, TaskRunFilter
from prefect.context import get_run_context
from prefect.states import Failed
from prefect.testing.utilities import prefect_test_harness

from flows.artifacts import publish_mlflow_run, publish_results
from flows.stage_task import RETRIES, StageError, TransientStageError, logged, retry_transient, run_command

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def harness():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        with prefect_test_harness(server_startup_timeout=120):
            yield


def fake_workspace(root):
    (root / "reports").mkdir()
    (root / "metrics").mkdir()
    headline = {
        "finetuned.accuracy": 0.7167,
        "finetuned.accuracy_low": 0.6333,
        "finetuned.accuracy_high": 0.8083,
        "finetuned.cohen_kappa": 0.548,
        "finetuned.f1_macro": 0.70,
        "finetuned.parse_failure_rate": 0.0,
    }
    (root / "reports" / "headline.json").write_text(json.dumps(headline))
    card = "# Judge card: judge v3\n\n**Promotion:** not promoted -- newly flagged: verbosity\n"
    (root / "reports" / "judge_card.md").write_text(card)
    (root / "data" / "audit").mkdir(parents=True)
    audit = [
        {"judge": "finetuned", "probe": "format", "metric": "max_flip_rate", "value": 0.54, "low": 0.41, "high": 0.66}
        | {"n": 48, "flagged": True, "evidence": "flagged"},
        {"judge": "base", "probe": "self_enhancement", "metric": "", "value": float("nan"), "low": float("nan")}
        | {"high": float("nan"), "flagged": False, "skipped": "no family known for this base model"},
    ]
    (root / "data" / "audit" / "results.json").write_text(json.dumps(audit))


def artifacts_of(flow_run_id) -> dict:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {artifact.key: artifact for artifact in found}


def test_a_run_publishes_headline_links_and_audit_flags(harness, tmp_path):
    fake_workspace(tmp_path)

    @flow
    def pipeline(stages: list[str]):
        publish_mlflow_run("0123abcd", f"sqlite:///{tmp_path / 'mlflow.db'}")
        publish_results(tmp_path, stages, "http://mlflow.internal:5000/#/experiments/1/runs/0123abcd/artifacts/r.html")
        return get_run_context().flow_run.id

    found = artifacts_of(pipeline(["report", "audit"]))
    assert set(found) == {"mlflow-run", "headline", "report", "judge-card", "audit-flags"}
    assert "**Promotion:** not promoted -- newly flagged: verbosity" in found["judge-card"].data
    assert found["headline"].type == "markdown" and "0.717 [0.633, 0.808]" in found["headline"].data
    assert found["mlflow-run"].data == "[MLflow parent run 0123abcd](http://127.0.0.1:5000/#/runs/0123abcd)"
    # a link a browser opens from the Prefect UI (a file:// link it will not): the MLflow UI's artifact view
    assert found["report"].data.endswith("(http://mlflow.internal:5000/#/experiments/1/runs/0123abcd/artifacts/r.html)")
    flags = json.loads(found["audit-flags"].data)
    assert flags[0] == {
        "judge": "finetuned",
        "probe": "format",
        "metric": "max_flip_rate",
        "value": 0.54,
        "95% CI": "[0.410, 0.660]",
        "n": 48,
        "flag": "FLAGGED",
    }
    assert flags[1]["flag"] == "not run: no family known for this base model" and flags[1]["95% CI"] == "n/a"
    assert "1 of 2 probes flagged, 1 not run" in found["audit-flags"].description

    only_generate = artifacts_of(pipeline(["generate"]))
    assert set(only_generate) == {"mlflow-run"}, "files a stage of an older run left must not be published"


def test_a_transient_failure_is_retried_once_and_an_own_error_never(harness, tmp_path):
    marker = tmp_path / "ran-once"
    crash_once = f"import pathlib, sys; m = pathlib.Path({str(marker)!r}); m.exists() or (m.touch(), sys.exit(137))"
    own_error = "print('judgeops: error: params.yaml: bad key'); exit(1)"

    @task(**(RETRIES | {"retry_delay_seconds": 0}))
    def stage(script: str) -> None:
        run_command([sys.executable, "-c", script], "s", dict(os.environ), timeout_s=60)

    @flow
    def crashes_once():
        stage(crash_once)
        return get_run_context().flow_run.id

    @flow
    def fails_on_its_own():
        try:
            stage(own_error)
        except StageError:
            pass
        return get_run_context().flow_run.id

    def attempts(flow_run_id) -> int:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(task_run_filter=TaskRunFilter(flow_run_id={"any_": [flow_run_id]}))
        return runs[0].run_count

    assert attempts(crashes_once()) == 2
    assert attempts(fails_on_its_own()) == 1


def test_only_a_transient_failure_is_retryable():
    assert retry_transient(None, None, Failed(data=TransientStageError("stage s failed (exit 137)")))
    assert not retry_transient(None, None, Failed(data=StageError("stage s failed (exit 1): bad key")))


def test_outside_a_flow_run_nothing_is_published(tmp_path):
    fake_workspace(tmp_path)
    assert publish_results(tmp_path, ["report", "audit"], "http://127.0.0.1:5000/#/runs") == []


def test_a_stage_log_keeps_the_stage_and_drops_dvcs_git_hints_and_blank_lines():
    output = ["Running stage 'judge':", "", "To track the changes with git, run:", "\tgit add dvc.lock", "  "]
    output += [
        "To enable auto staging, run:",
        "\tdvc config core.autostage true",
        "INFO judgeops: judge finished in 65.0 s",
    ]
    assert [line for line in output if logged(line)] == [
        "Running stage 'judge':",
        "INFO judgeops: judge finished in 65.0 s",
    ]
