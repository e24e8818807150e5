"""`judgeops finetune` on two CPU processes (gloo, DDP), launched by itself under `accelerate launch`
because params.yaml says ``finetune.launcher: accelerate``: the same judge as one process on the same
global batch, one MLflow run and one set of files, and a rank killed by SIGKILL costs no finished step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from components import paths
from components.config import load_yaml
from components.io import write_jsonl
from components.profiles import merge_overrides
from tests.conftest import REPO
from tests.factories import arithmetic_pairs

pytestmark = pytest.mark.slow

# The tiny profile (LoRA on the top layer of two, the frozen-prefix cache on), deterministic: no dropout,
# no bf16 (this CPU may have it, and its rounding would hide what the comparison checks). Targets with
# reasons, so rows differ in target tokens and two shares of a batch are not two equal halves of its loss.
EXACT = {
    "lora_dropout": 0.0,
    "bf16": False,
    "batch_size": 8,
    "learning_rate": 0.01,
    "warmup_steps": 1,
    "output_format": "judgelm",
    "template": "judgeops",
    "target": "judgment",
}
TWO = {"launcher": "accelerate", "num_processes": 2}


def workspace(root: Path, model_dir: Path, finetune: dict) -> Path:
    """A project root holding the finetune stage's inputs: the tiny model as base, train and val splits,
    params.yaml as `judgeops profile tiny` leaves it with ``finetune`` on top, its own MLflow store."""
    root.mkdir()
    (root / paths.BASE_MODEL).parent.mkdir(parents=True)
    (root / paths.BASE_MODEL).symlink_to(model_dir)
    pairs = arithmetic_pairs(29)
    write_jsonl(root / paths.split_file("train"), pairs[:25])  # batches of 8, 8, 8 and 1 (one rank idles)
    write_jsonl(root / paths.split_file("val"), pairs[25:])
    text, _ = merge_overrides(
        (REPO / "params.yaml").read_text(), load_yaml((REPO / "profiles" / "tiny.yaml").read_text(), "tiny")
    )
    text, _ = merge_overrides(text, {"finetune": finetune})
    (root / "params.yaml").write_text(text)
    return root


def finetune_command(root: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    env.pop("JUDGEOPS_LAUNCHED", None)
    return subprocess.Popen(
        [sys.executable, "-m", "components.cli", "finetune"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a failing test can kill the launcher and every rank at once
    )


def run_finetune(root: Path, timeout: float = 120) -> dict:
    process = finetune_command(root)
    try:
        _, err = process.communicate(timeout=timeout)
    finally:
        _kill_group(process)
    assert process.returncode == 0, err[-3000:]
    return json.loads((root / paths.metrics_file("finetune")).read_text())


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def adapter(root: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(root / paths.JUDGE_MODEL / "adapter_model.safetensors")


def stage_runs(root: Path) -> list:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    return mlflow.search_runs(search_all_experiments=True, output_format="list")


def progress(root: Path, key: str = "step") -> list:
    """``key`` of every line of the run's progress.jsonl, which the trainer writes once per step."""
    (found,) = (root / paths.CHECKPOINTS).glob("*/progress.jsonl")
    return [json.loads(line)[key] for line in found.read_text().splitlines()]


def test_two_processes_train_the_judge_one_process_trains_on_the_same_global_batch(tiny_model_dir, tmp_path):
    """About 45 s on two busy cores, most of it four Python processes importing torch."""
    from components.config import load_params

    one = workspace(tmp_path / "one", tiny_model_dir, EXACT)
    two = workspace(tmp_path / "two", tiny_model_dir, {**EXACT, **TWO})
    cfg = load_params(two / "params.yaml").finetune
    assert cfg.frozen_cache and cfg.lora_layers == 1, "the tiny profile trains on the frozen-prefix cache"

    alone = run_finetune(one)
    together = run_finetune(two)

    expected, found = adapter(one), adapter(two)
    assert found.keys() == expected.keys() and expected
    for name, tensor in expected.items():
        assert float((found[name] - tensor).abs().max()) < 1e-5, name
    assert any(float(t.abs().max()) > 0 for name, t in found.items() if "lora_B" in name), "the adapter trained"
    # the loss of every step; 25 pairs in batches of 8: one batch has a single row, lent to rank 1 and not counted
    assert progress(two, "loss") == pytest.approx(progress(one, "loss"), rel=1e-5)
    assert (together["best_step"], together["best_val_agreement"]) == (alone["best_step"], alone["best_val_agreement"])
    assert together["train_tokens"] == alone["train_tokens"], "the tokens of the global batches, counted once"

    # two processes took part: each saved its RNG state into the checkpoint rank 0 committed
    (last,) = (two / paths.CHECKPOINTS).glob(f"*/checkpoints/step-{cfg.max_steps:06d}/accelerate")
    assert sorted(f.name for f in last.glob("random_states_*")) == ["random_states_0.pkl", "random_states_1.pkl"]
    (run,) = stage_runs(two)  # rank 1 opened no run of its own
    assert run.data.params["finetune.num_processes"] == "2"
    assert run.data.tags["registered_version"] == "1" == together["registered_version"]
    assert progress(two) == list(range(1, cfg.max_steps + 1)), "one progress line per step, from rank 0"
    curve = json.loads((two / paths.LEARNING_CURVE).read_text())
    assert [row["step"] for row in curve] == [3, 6]


def test_a_rank_killed_by_sigkill_costs_no_finished_step_on_the_rerun(tiny_model_dir, tmp_path):
    """About 50 s. The frozen-prefix cache off: the plain DDP path (the test above runs the cached one)."""
    import psutil

    steps, every = 80, 10
    root = workspace(
        tmp_path / "ws",
        tiny_model_dir,
        {
            **EXACT,
            **TWO,
            "frozen_cache": False,
            "max_steps": steps,
            "checkpoint_every": every,
            "eval_every": steps,
            "batch_size": 4,
        },
    )
    checkpoints = root / paths.CHECKPOINTS
    process = finetune_command(root)
    try:
        deadline = time.monotonic() + 120
        while not list(checkpoints.glob(f"*/checkpoints/step-{every:06d}")):
            assert process.poll() is None, f"the run ended before a checkpoint: {process.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.01)
        (rank1,) = [
            child
            for child in psutil.Process(process.pid).children(recursive=True)
            if child.environ().get("RANK") == "1" and "components.cli" in child.cmdline()
        ]
        rank1.send_signal(signal.SIGKILL)
        _, err = process.communicate(timeout=60)
    finally:
        _kill_group(process)
    assert process.returncode != 0, "the launcher reports the lost rank"
    (workdir,) = checkpoints.iterdir()
    killed_at = max(int(p.name.removeprefix("step-")) for p in (workdir / "checkpoints").glob("step-*"))
    assert every <= killed_at < steps, f"killed after step {killed_at}: the run was not cut short"
    assert not (root / paths.metrics_file("finetune")).exists()

    metrics = run_finetune(root)
    assert metrics["resumed_from_step"] == killed_at
    assert metrics["steps_run"] == steps - killed_at
    assert progress(root) == list(range(1, steps + 1)), "every step done once, none redone after a checkpoint"
    finished = [run for run in stage_runs(root) if run.info.status == "FINISHED"]
    assert len(finished) == 1
