"""The finetune stage on the tiny Llama, into a temporary MLflow store: its run records the splits it read
as datasets, and it registers the judge as a pyfunc model that judges the way the stage recorded."""

from __future__ import annotations

import json

import pytest

from components import paths
from components.config import load_params
from components.io import file_md5, write_jsonl
from components.judges.factory import judge_settings
from components.tracking import stage_run
from tests.conftest import REPO
from tests.factories import arithmetic_pairs

pytestmark = pytest.mark.slow


def test_the_stage_logs_its_splits_and_registers_a_pyfunc_judge(tiny_model_dir, tmp_path, monkeypatch):
    import mlflow
    from mlflow import MlflowClient

    from components.stages import finetune as stage

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    paths.BASE_MODEL.parent.mkdir(parents=True)
    paths.BASE_MODEL.symlink_to(tiny_model_dir)
    pairs = arithmetic_pairs(12)
    write_jsonl(paths.split_file("train"), pairs[:8])
    write_jsonl(paths.split_file("val"), pairs[8:])
    params = load_params(REPO / "params.yaml")
    fast = {"max_steps": 2, "batch_size": 4, "checkpoint_every": 2, "eval_every": 2, "eval_items": 4}
    params = params.model_copy(
        update={"finetune": params.finetune.model_copy(update={**fast, "lora_layers": 1, "bf16": False})}
    )

    with stage_run("finetune") as tracker:
        metrics = stage.run(params, tracker)
    run = MlflowClient().get_run(tracker.run_id)

    inputs = {d.dataset.name: d for d in run.inputs.dataset_inputs}
    assert set(inputs) == {"train", "val"}
    assert inputs["train"].dataset.digest == file_md5(paths.split_file("train")) == run.data.tags["train_data_md5"]
    assert inputs["val"].dataset.digest == file_md5(paths.split_file("val"))
    assert {tag.key: tag.value for tag in inputs["train"].tags}["mlflow.data.context"] == "training"
    assert json.loads(inputs["train"].dataset.profile)["num_rows"] == 8
    assert "train_data_md5" not in run.data.params

    version = MlflowClient().get_model_version_by_alias("judge", "candidate")
    assert str(version.version) == str(metrics["registered_version"]) == "1" and version.run_id == tracker.run_id
    info = mlflow.models.get_model_info("models:/judge@candidate")
    assert "python_function" in info.flavors and info.flavors["python_function"]["artifacts"].keys() == {
        "judge",
        "base_model",
    }
    recorded = json.loads((paths.JUDGE_MODEL / "judgeops_judge.json").read_text())
    assert recorded["judge"] == judge_settings(params) and recorded["template"] == params.finetune.template
    assert recorded["registered_version"] == str(version.version), "the report promotes the version models/judge is"
    assert metrics["register_seconds"] > 0
    # flags and names are tags in MLflow (the runs table's metric columns hold measurements only)
    assert run.data.tags["bf16"] == "false" and run.data.tags["registered_version"] == "1"
    assert not {"bf16", "registered_version"} & run.data.metrics.keys()
