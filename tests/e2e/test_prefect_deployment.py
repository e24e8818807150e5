"""The tiny profile through a real local Prefect server and the served deployment
judge-pipeline/full, checked in MLflow: a parent run, one nested run per stage, the headline
metrics, and a new version of the registered judge."""

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.e2e.conftest import BIN, project_env, run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STAGES = {"base_model", "generate", "validate", "finetune", "judge", "audit", "report"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


@pytest.fixture
def served(project):
    env = project_env(project)
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    logs = project / ".state"
    logs.mkdir(exist_ok=True)
    port = env["PREFECT_API_URL"].split(":")[-1].split("/")[0]
    processes = []
    try:
        processes.append(
            subprocess.Popen(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", port],
                cwd=project,
                env=env,
                stdout=open(logs / "server.log", "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        wait_until(lambda: healthy(env["PREFECT_API_URL"] + "/health"), 180, "the Prefect server")
        processes.append(
            subprocess.Popen(
                [str(BIN / "python"), "-m", "flows.serve"],
                cwd=project,
                env=env,
                stdout=open(logs / "serve.log", "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        wait_until(
            lambda: (
                subprocess.run(
                    [str(BIN / "prefect"), "deployment", "inspect", "judge-pipeline/full"],
                    cwd=project,
                    env=env,
                    capture_output=True,
                ).returncode
                == 0
            ),
            120,
            "the deployment judge-pipeline/full",
        )
        yield project, env
    finally:
        for process in reversed(processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)


def test_tiny_profile_through_the_served_deployment(served):
    project, env = served
    workspace_params = (project / "params.yaml").read_text()
    done = run(
        [
            str(BIN / "prefect"),
            "deployment",
            "run",
            "judge-pipeline/full",
            "-p",
            "profile=tiny",
            "--watch",
            "--watch-timeout",
            "900",
        ],
        project,
        env,
        timeout=960,
    )
    assert "Completed" in done.stdout, done.stdout[-2000:]

    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    parents = [r for r in runs if r.data.tags.get("judgeops.flow") == "judge-pipeline"]
    assert len(parents) == 1
    parent = parents[0].info.run_id
    tags = parents[0].data.tags
    assert tags["judgeops.profile"] == "tiny" and tags["judgeops.overrides"] == "{}"
    assert tags["judgeops.params_base"].startswith("git HEAD ")
    assert (project / "params.yaml").read_text() == workspace_params, "the run left its params in the workspace"
    assert "- profile: `tiny`; overrides: `{}`" in (project / "reports" / "report.md").read_text()
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent]
    assert {r.data.tags["judgeops.stage"] for r in children} == STAGES
    assert len(children) == len(STAGES)
    report = next(r for r in children if r.data.tags["judgeops.stage"] == "report")
    for key in ("finetuned.accuracy", "finetuned.f1_macro", "finetuned.consistency", "base.accuracy"):
        assert key in report.data.metrics
    versions = MlflowClient().search_model_versions("name='judge'")
    assert len(versions) == 1
    assert versions[0].run_id in {r.info.run_id for r in children}
