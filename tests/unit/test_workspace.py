"""A flow run's profile and overrides never leak into the next run, what a run used is recorded,
and two runs never share the workspace at once."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from components.config import load_params
from tests.conftest import REPO


def git_project(tmp_path, monkeypatch):
    """A committed params.yaml (the shipped default) and the shipped profiles, as the cwd."""
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "params.yaml", "profiles"],
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "params"],
    ):
        subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def flow_in(tmp_path, monkeypatch):
    """The judge-pipeline flow's own function, rooted in a scratch project, with a stage that
    records what it saw instead of running `dvc repro`."""
    import flows.pipeline as pipeline

    root = git_project(tmp_path, monkeypatch)
    for key, value in {
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DVC_SITE_CACHE_DIR": str(root / ".state" / "dvc-site"),
        "DVC_NO_ANALYTICS": "1",
    }.items():
        monkeypatch.setenv(key, value)  # the flow exports these; monkeypatch puts them back
    seen = []

    def stage(name, env, timeout_s):
        params = load_params(root / "params.yaml")
        seen.append(
            {
                "kind": params.base_model.kind,
                "max_steps": params.finetune.max_steps,
                "provenance": json.loads(env.get("JUDGEOPS_RUN_PROVENANCE", "null")),
                "busy": workspace_busy(root),
            }
        )

    monkeypatch.setattr(pipeline, "ROOT", root)
    monkeypatch.setattr(pipeline, "repro_stage", stage)
    return pipeline.judge_pipeline.fn, root, seen


def workspace_busy(root) -> bool | None:
    try:
        from components.workspace import WorkspaceBusy, workspace_lock
    except ImportError:
        return None
    try:
        with workspace_lock(root / ".state" / "workspace.lock", timeout_s=0):
            return False
    except WorkspaceBusy:
        return True


def test_a_profile_then_the_default_runs_the_default(flow_in):
    run, root, seen = flow_in
    default = (root / "params.yaml").read_text()
    run(profile="tiny", overrides={"finetune.max_steps": 3}, stages=["base_model"])
    assert (root / "params.yaml").read_text() == default, "the run's profile stayed in params.yaml"
    second = run(stages=["base_model"])

    assert seen[0]["kind"] == "tiny" and seen[0]["max_steps"] == 3
    assert seen[1]["kind"] == "smollm2", "the default run kept the previous run's tiny profile"
    assert seen[1]["max_steps"] == load_params(REPO / "params.yaml").finetune.max_steps
    assert seen[1]["provenance"]["profile"] == "default" and seen[1]["provenance"]["overrides"] == {}
    assert seen[0]["provenance"]["overrides"] == {"finetune.max_steps": 3}
    assert seen[1]["provenance"]["mlflow_run_id"] == second

    import mlflow

    tags = mlflow.MlflowClient().get_run(second).data.tags
    assert tags["judgeops.profile"] == "default"
    assert tags["judgeops.overrides"] == "{}"
    assert tags["judgeops.params_base"].startswith("git HEAD ")


def test_a_flow_run_holds_the_workspace_for_its_whole_run(flow_in):
    run, root, seen = flow_in
    run(stages=["base_model", "generate"])
    assert [s["busy"] for s in seen] == [True, True]
    assert workspace_busy(root) is False


def test_a_second_run_waits_for_the_first(tmp_path):
    from components.workspace import WorkspaceBusy, workspace_lock

    lock = tmp_path / ".state" / "workspace.lock"
    said = []
    with workspace_lock(lock):
        started = time.monotonic()
        with pytest.raises(WorkspaceBusy, match="flow run pid"):
            with workspace_lock(lock, timeout_s=0.6, log=said.append):
                pytest.fail("two runs held the workspace at once")
        assert time.monotonic() - started >= 0.5
    assert said and "waiting for flow run pid" in said[0]
    with workspace_lock(lock, timeout_s=0):
        pass


def test_the_workspace_params_come_back_and_a_bad_override_writes_nothing(tmp_path, monkeypatch):
    from components.config import ConfigError
    from components.workspace import params_for_run

    root = git_project(tmp_path, monkeypatch)
    committed = (root / "params.yaml").read_text()
    edited = committed.replace("seed: 1234", "seed: 4321")
    (root / "params.yaml").write_text(edited)  # an uncommitted edit is set aside for the run, then kept
    with params_for_run("tiny") as used:
        assert load_params().generate.seed == 1234 and load_params().base_model.kind == "tiny"
        assert used.set_aside and "base_model.kind" in used.changed
    assert (root / "params.yaml").read_text() == edited
    with pytest.raises(ConfigError, match="finetune.max_step"):
        with params_for_run("default", {"finetune.max_step": 1}):
            pytest.fail("a bad override was applied")
    with pytest.raises(ValueError, match="unknown profile 'tinny'"):
        with params_for_run("tinny"):
            pass
    assert (root / "params.yaml").read_text() == edited
    assert not (root / ".state" / "run-in-progress").exists()


def test_a_run_killed_with_sigkill_is_repaired_by_the_next(tmp_path, monkeypatch):
    from components.workspace import params_for_run

    root = git_project(tmp_path, monkeypatch)
    default = (root / "params.yaml").read_text()
    script = (
        "import sys, time\n"
        "from components.workspace import params_for_run\n"
        "with params_for_run('tiny') as used:\n"
        "    used.note_run('dead-run-id')\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(120)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    victim = subprocess.Popen([sys.executable, "-c", script], cwd=root, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout.readline().strip() == "ready"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    assert load_params(root / "params.yaml").base_model.kind == "tiny", "the killed run left its profile behind"

    with params_for_run("default") as used:
        assert load_params().base_model.kind == "smollm2"
        assert used.interrupted_run["mlflow_run_id"] == "dead-run-id"
        assert used.interrupted_run["profile"] == "tiny"
    assert (root / "params.yaml").read_text() == default


def test_the_report_shows_the_profile_and_overrides_the_run_used(tmp_path, monkeypatch):
    from components.reporting.provenance import params_provenance

    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("report: {seed: 1}\n")
    record = {"profile": "tiny", "overrides": {"finetune.max_steps": 3}, "base": "git HEAD abc1234", "changed": ["a"]}
    monkeypatch.setenv("JUDGEOPS_RUN_PROVENANCE", json.dumps(record | {"mlflow_run_id": "r1"}))
    text = "\n".join(params_provenance())
    assert '- profile: `tiny`; overrides: `{"finetune.max_steps": 3}`; on the git HEAD abc1234 params.yaml' in text
    assert "r1" in text and "params.yaml sha256" in text
    monkeypatch.delenv("JUDGEOPS_RUN_PROVENANCE")
    assert "no profile record" in "\n".join(params_provenance())


def test_an_edit_made_to_params_yaml_during_a_run_is_kept_beside_the_restored_file(tmp_path, monkeypatch, capsys):
    from components.workspace import params_for_run

    root = git_project(tmp_path, monkeypatch)
    before = (root / "params.yaml").read_text()
    with params_for_run("tiny") as used:
        during = (root / "params.yaml").read_text().replace("seed: 1234", "seed: 777")
        assert during != (root / "params.yaml").read_text()
        (root / "params.yaml").write_text(during)  # the user edits the file while the run holds it
    assert (root / "params.yaml").read_text() == before, "the run's profile never leaks"
    kept = list((root / ".state" / "params-edited-during-run").iterdir())
    assert [path.read_text() for path in kept] == [during], "the edit is not lost"
    named = (root / used.edited_during_run).resolve()
    assert named == kept[0].resolve() and used.edited_during_run in capsys.readouterr().out
    with params_for_run("tiny"):
        pass
    assert len(list((root / ".state" / "params-edited-during-run").iterdir())) == 1, "no edit, nothing kept"
