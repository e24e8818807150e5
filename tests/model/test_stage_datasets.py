"""What the judge and report stages record in MLflow besides metrics, against a temporary store: the judge
stage's run lists the sets it judged as datasets, and a table logged by a stage reads back whole."""

from __future__ import annotations

import pytest

from components import paths
from components.config import load_params
from components.io import file_md5, write_jsonl
from components.tracking import experiment_id, stage_run
from tests.conftest import REPO
from tests.factories import arithmetic_pairs, judgment

pytestmark = pytest.mark.slow


@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def test_the_judge_stage_logs_the_test_split_and_each_human_set_as_datasets(store, tiny_model_dir):
    from mlflow import MlflowClient

    from components.stages import judge as stage

    for folder in (paths.BASE_MODEL, paths.JUDGE_MODEL):
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.symlink_to(tiny_model_dir)
    pairs = arithmetic_pairs(5)
    write_jsonl(paths.split_file("test"), pairs[:3])
    write_jsonl("human.jsonl", pairs[3:])
    params = load_params(REPO / "params.yaml")
    params = params.model_copy(
        update={
            "finetune": params.finetune.model_copy(update={"method": "full"}),
            "judge": params.judge.model_copy(update={"batch_size": 4, "human_eval": ["human.jsonl"]}),
        }
    )
    with stage_run("judge") as tracker:
        stage.run(params, tracker)
    inputs = MlflowClient().get_run(tracker.run_id).inputs.dataset_inputs
    found = {
        i.dataset.name: (i.dataset.digest, {t.key: t.value for t in i.tags}["mlflow.data.context"]) for i in inputs
    }
    assert found == {
        "test": (file_md5(paths.split_file("test")), "testing"),
        "human": (file_md5("human.jsonl"), "testing"),
    }


def test_a_logged_table_reads_back_row_for_row(store):
    import mlflow

    from components.evaluation import judgment_rows
    from components.stages.report import JUDGMENTS_TABLE

    test = arithmetic_pairs(3)
    judged = {"finetuned": [judgment(p.id, order, p.verdict) for p in test for order in ("original", "swapped")]}
    rows = judgment_rows(test, judged)
    with stage_run("report") as tracker:
        tracker.table(rows, JUDGMENTS_TABLE)
    mlflow.set_experiment(experiment_id=experiment_id())  # load_table searches the active experiment
    table = mlflow.load_table(JUDGMENTS_TABLE, run_ids=[tracker.run_id])
    assert table["pair_id"].tolist() == [p.id for p in test]
    assert table["finetuned_verdict"].tolist() == [p.verdict for p in test]
    assert table["finetuned_agrees"].tolist() == [True, True, True]
