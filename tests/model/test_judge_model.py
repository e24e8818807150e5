"""The judge as an MLflow pyfunc model, on the tiny Llama: logged and registered as the finetune stage does,
promoted as the report does, then loaded by ``models:/judge@champion`` from another folder and served by
``mlflow models serve``; it judges exactly as the pipeline's HFJudge does."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

from components.judges.base import JudgeItem
from components.judges.hf import HFJudge
from components.judges.model_ref import resolve_model
from tests.factories import arithmetic_pairs

pytestmark = pytest.mark.slow

# How the pipeline's judge judges (params.yaml's defaults), except that no reading fails for want of mass:
# the random tiny model puts almost none on score tokens, and verdicts are what this test compares.
SETTINGS = {
    "template": "pointwise",
    "mode": "logprob",
    "with_reference": True,
    "batch_size": 16,
    "max_new_tokens": 64,
    "max_prompt_tokens": 1024,
    "min_score_mass": 0.0,
}
COLUMNS = ["instruction", "input", "reference", "answer1", "answer2"]


@pytest.fixture(scope="module")
def judge_folder(tiny_model_dir, tmp_path_factory) -> Path:
    """A LoRA adapter with random (non-zero) weights over the tiny model, saved as the finetune stage saves
    the judge: with judgeops_judge.json recording how it judges."""
    from peft import LoraConfig, get_peft_model

    from components.models import load_causal_lm

    model, _ = load_causal_lm(tiny_model_dir)
    out = tmp_path_factory.mktemp("project") / "models" / "judge"
    config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    (out / "judgeops_judge.json").write_text(json.dumps({"template": "pointwise", "judge": SETTINGS}))
    return out


@pytest.fixture(scope="module")
def store(judge_folder, tiny_model_dir):
    """A project whose finetune run logged the judge as a pyfunc and whose report promoted it: the tracking
    URI, with the run's cwd gone (the model must not need it)."""
    from components.champion import promote
    from components.judge_model import log_judge
    from components.tracking import stage_run

    project = judge_folder.parents[1]
    uri = f"sqlite:///{project / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        with stage_run("finetune") as tracker:
            logged = log_judge(tracker, judge_folder, tiny_model_dir, {"template": "pointwise"}, alias="candidate")
        figures = {"agreement": 0.5, "consistency": 1.0, "test_data_md5": "", "base_model": "", "flagged": []}
        decision = promote(figures, {"registered_version": logged["version"]})
    assert decision["promoted"] and logged["version"] == "1"
    print(f"log_judge took {logged['seconds']:.1f} s")
    return {"uri": uri, "project": project, "logged": logged}


def frame(pairs) -> pd.DataFrame:
    return pd.DataFrame([{name: getattr(pair, name) for name in COLUMNS} for pair in pairs])


def expected(pairs, tiny_model_dir, judge_folder) -> list[dict]:
    judge = HFJudge("local", tiny_model_dir, adapter=judge_folder, **SETTINGS)
    return [
        {"verdict": j.verdict, "score1": j.score1, "score2": j.score2, "failure": j.failure}
        for j in judge.judge([JudgeItem(pair) for pair in pairs])
    ]


def rows(predicted: pd.DataFrame) -> list[dict]:
    return [
        {"verdict": r["verdict"], "score1": r["score1"], "score2": r["score2"], "failure": r["failure"] or ""}
        for r in predicted.to_dict(orient="records")
    ]


def test_the_registered_champion_loads_from_another_folder_and_judges_as_hf_judge_does(
    store, tiny_model_dir, judge_folder, tmp_path, monkeypatch
):
    import mlflow

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    mlflow.set_tracking_uri(store["uri"])
    pairs = arithmetic_pairs(6)
    pairs[1] = pairs[1].model_copy(update={"reference": ""})  # no reference: judged without one
    model = mlflow.pyfunc.load_model("models:/judge@champion")
    predicted = model.predict(frame(pairs))
    assert list(predicted.columns) == ["verdict", "score1", "score2", "raw", "failure"] and len(predicted) == 6
    assert rows(predicted) == expected(pairs, tiny_model_dir, judge_folder)
    assert {r["verdict"] for r in rows(predicted)} <= {0, 1, 2} and all(not r["failure"] for r in rows(predicted))

    bare = frame(pairs).drop(columns=["input", "reference"])  # the optional columns may be left out
    assert rows(model.predict(bare)) == expected(
        [p.model_copy(update={"reference": "", "input": ""}) for p in pairs], tiny_model_dir, judge_folder
    )
    info = mlflow.models.get_model_info("models:/judge@champion")
    assert [c["name"] for c in info.signature.inputs.to_dict()] == COLUMNS


def test_the_registered_judge_carries_its_base_so_serve_and_audit_load_it_anywhere(
    store, tiny_model_dir, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # no data/base_model here: the packed base must be the one used
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    source = resolve_model("models:/judge@champion", download_dir=tmp_path / "dl")
    assert source.adapter.name == "judge" and (source.base / "model.safetensors").exists()
    assert tmp_path in source.base.parents and source.name == "judge@champion"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mlflow_models_serve_answers_the_same_over_http(store, tiny_model_dir, judge_folder, tmp_path):
    port = free_port()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # it runs `uvicorn`
    env = {**os.environ, "MLFLOW_TRACKING_URI": store["uri"], "PYTHONPATH": "", "PATH": path}
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/judge@champion"]
    command += ["--env-manager", "local", "-p", str(port), "-h", "127.0.0.1", "-w", "1"]
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"mlflow models serve exited: {(tmp_path / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.skip("mlflow models serve did not answer /ping within 60 s")
            time.sleep(0.5)
        pairs = arithmetic_pairs(4)
        split = frame(pairs).to_dict(orient="split")
        body = {"dataframe_split": {"columns": split["columns"], "data": split["data"]}}
        response = httpx.post(f"{url}/invocations", json=body, timeout=60)
        assert response.status_code == 200, response.text
        served = pd.DataFrame(response.json()["predictions"])
        assert rows(served) == expected(pairs, tiny_model_dir, judge_folder)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(tmp_path / "mlruns", ignore_errors=True)


def test_the_registered_judge_scores_rows_for_mlflow_genai_evaluate(store, tmp_path, monkeypatch):
    import mlflow

    from components.mlflow_scorer import PREFERENCE, pairwise_scorer

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store["uri"])
    mlflow.set_tracking_uri(store["uri"])
    pairs = arithmetic_pairs(3)
    scorer = pairwise_scorer("models:/judge@champion")
    verdicts = mlflow.pyfunc.load_model("models:/judge@champion").predict(frame(pairs))["verdict"].tolist()
    for pair, verdict in zip(pairs, verdicts, strict=True):
        feedback = scorer(
            inputs={"instruction": pair.instruction},
            outputs=pair.answer1,
            expectations={"baseline": pair.answer2, "reference": pair.reference},
        )
        assert feedback.value == PREFERENCE[verdict] and feedback.source.source_id == "models:/judge@champion"
