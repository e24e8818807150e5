"""The trainer on a tiny random Llama: it learns, touches only what it should, and resumes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from components.io import write_jsonl
from components.models import load_causal_lm
from components.training.examples import Augment
from components.training.trainer import TrainConfig, prepare, train
from tests.conftest import REPO
from tests.factories import arithmetic_pairs

pytestmark = pytest.mark.slow

FAST = dict(batch_size=4, learning_rate=3e-2, warmup_steps=1, lora_r=8, lora_alpha=16, bf16=False, seed=0)


def test_loss_falls_and_only_lora_weights_change(tiny_model_dir, tmp_path):
    model, tokenizer = load_causal_lm(tiny_model_dir)
    cfg = TrainConfig(max_steps=10, checkpoint_every=100, eval_every=100, augment=Augment(0.0, 0.0), **FAST)
    model = prepare(model, cfg)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    result = train(model, tokenizer, arithmetic_pairs(24), cfg, tmp_path)
    assert sum(result.losses[-3:]) / 3 < sum(result.losses[:3]) / 3 * 0.8
    changed = {name for name, p in model.named_parameters() if not torch.equal(p.detach(), before[name])}
    assert changed and all("lora_" in name for name in changed)
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    assert frozen and not changed.intersection(frozen)


def test_a_saved_adapter_reloads_and_judges_identically(tiny_model_dir, tmp_path):
    from components.judges.base import both_orders
    from components.judges.hf import HFJudge

    model, tokenizer = load_causal_lm(tiny_model_dir)
    cfg = TrainConfig(max_steps=4, checkpoint_every=100, eval_every=100, **FAST)
    model = prepare(model, cfg)
    train(model, tokenizer, arithmetic_pairs(12), cfg, tmp_path)
    model.eval()
    items = both_orders(arithmetic_pairs(3))
    in_memory = HFJudge("mem", "", model=model, tokenizer=tokenizer, max_new_tokens=6).judge(items)
    reloaded = HFJudge("disk", tiny_model_dir, adapter=tmp_path / "best", max_new_tokens=6).judge(items)
    assert [j.raw for j in in_memory] == [j.raw for j in reloaded]


def test_how_often_val_is_judged_does_not_change_what_is_trained(tiny_model_dir, tmp_path):
    """The val judge merges the adapter into the weights and takes it out again: the frozen weights the
    next step trains against must come back bit for bit, or every evaluation nudges the run."""
    from components.config import JudgeParams
    from components.training.agreement import val_agreement

    def trained(eval_every: int, workdir: Path) -> dict[str, torch.Tensor]:
        model, tokenizer = load_causal_lm(tiny_model_dir)
        cfg = TrainConfig(max_steps=4, checkpoint_every=100, eval_every=eval_every, **FAST)
        model = prepare(model, cfg)
        judged = val_agreement(arithmetic_pairs(2), tokenizer, cfg.template, JudgeParams(mode="logprob"))
        train(model, tokenizer, arithmetic_pairs(12), cfg, workdir, evaluate=judged)
        return {name: p.detach().clone() for name, p in model.named_parameters()}

    every_step, once = trained(1, tmp_path / "every"), trained(100, tmp_path / "once")
    for name, value in once.items():
        assert torch.equal(every_step[name], value), name


def test_a_run_stopped_before_its_schedule_ends_is_that_schedule_s_first_steps(tiny_model_dir, tmp_path):
    """``schedule_steps`` sets where the learning rate reaches zero; ``max_steps`` where the run stops. Stopping
    early must give the weights the longer run had at that step (the default keeps its judge that way), with
    the learning rate not yet decayed to zero."""

    def trained(max_steps: int, schedule_steps: int | None, workdir: Path, snapshot_at: int = 0):
        model, tokenizer = load_causal_lm(tiny_model_dir)
        cfg = TrainConfig(
            max_steps=max_steps, schedule_steps=schedule_steps, checkpoint_every=100, eval_every=100, **FAST
        )
        model = prepare(model, cfg)
        rates: list[float] = []
        snapshot: dict[str, torch.Tensor] = {}

        def log(step: int, values: dict) -> None:
            if "learning_rate" in values:
                rates.append(values["learning_rate"])
            if step == snapshot_at:
                snapshot.update({name: p.detach().clone() for name, p in model.named_parameters()})

        train(model, tokenizer, arithmetic_pairs(12), cfg, workdir, log=log)
        return {name: p.detach().clone() for name, p in model.named_parameters()}, rates, snapshot

    _, six_rates, six_at_four = trained(6, None, tmp_path / "six", snapshot_at=4)
    stopped, stopped_rates, _ = trained(4, 6, tmp_path / "four-of-six")
    own, own_rates, _ = trained(4, None, tmp_path / "four")

    assert stopped_rates == six_rates[:4] and stopped_rates[-1] > 0
    for name, value in stopped.items():
        assert torch.equal(value, six_at_four[name]), name
    assert own_rates[-1] == 0.0, "without schedule_steps the decay ends at max_steps"
    assert any(not torch.equal(own[name], stopped[name]) for name in own), "a shorter schedule trains otherwise"


KILLED_RUN = """
import sys
from components.io import read_jsonl
from components.models import load_causal_lm
from components.schemas import Pair
from components.training.trainer import TrainConfig, prepare, train
model_dir, pairs_file, workdir = sys.argv[1:4]
model, tokenizer = load_causal_lm(model_dir)
cfg = TrainConfig(
    max_steps=40, checkpoint_every=5, eval_every=1000, batch_size=4, learning_rate=1e-3, bf16=False, seed=0
)
train(prepare(model, cfg), tokenizer, read_jsonl(pairs_file, Pair), cfg, __import__("pathlib").Path(workdir))
"""


def test_a_sigkilled_run_resumes_from_its_last_checkpoint_without_redoing_steps(tiny_model_dir, tmp_path):
    pairs_file = tmp_path / "pairs.jsonl"
    write_jsonl(pairs_file, arithmetic_pairs(16))
    workdir = tmp_path / "work"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(tiny_model_dir), str(pairs_file), str(workdir)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.time() + 120
    while not (workdir / "checkpoints" / "step-000010").exists():
        assert process.poll() is None, "the training run ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = _steps(workdir)[-1]
    assert killed_at < 40

    model, tokenizer = load_causal_lm(tiny_model_dir)
    cfg = TrainConfig(
        max_steps=40, checkpoint_every=5, eval_every=1000, batch_size=4, learning_rate=1e-3, bf16=False, seed=0
    )
    result = train(prepare(model, cfg), tokenizer, arithmetic_pairs(16), cfg, workdir)
    assert result.resumed_from >= 10 and result.resumed_from % 5 == 0
    assert result.steps == 40 - result.resumed_from
    assert _steps(workdir) == list(range(1, 41)), "every step logged exactly once"


def _steps(workdir: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (workdir / "progress.jsonl").read_text().splitlines()]


def test_without_a_launcher_the_loop_runs_on_the_plain_local_runtime(monkeypatch):
    from components.training.runtime import Local, make_runtime

    monkeypatch.delenv("ACCELERATE_MIXED_PRECISION", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert type(make_runtime(False, 8)) is Local


def test_under_accelerate_launch_the_same_loop_trains_checkpoints_and_resumes(tiny_model_dir, tmp_path, monkeypatch):
    """What `accelerate launch --cpu --num_processes 1` sets; multi-GPU is untested (docs/training.md)."""
    from accelerate.state import AcceleratorState

    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "no")
    monkeypatch.setenv("ACCELERATE_USE_CPU", "true")
    cfg = TrainConfig(max_steps=4, checkpoint_every=2, eval_every=2, **FAST)

    def crash_at_3(step, metrics):
        if step == 3:
            raise RuntimeError("simulated crash")

    try:
        model, tokenizer = load_causal_lm(tiny_model_dir)
        with pytest.raises(RuntimeError, match="simulated crash"):
            train(prepare(model, cfg), tokenizer, arithmetic_pairs(12), cfg, tmp_path, log=crash_at_3)
        assert (tmp_path / "checkpoints" / "step-000002" / "accelerate").is_dir()
        AcceleratorState._reset_state(True)
        model, tokenizer = load_causal_lm(tiny_model_dir)
        logged = []
        result = train(
            prepare(model, cfg),
            tokenizer,
            arithmetic_pairs(12),
            cfg,
            tmp_path,
            log=lambda s, m: logged.append((s, m)),
            val_pairs=arithmetic_pairs(16)[12:],
        )
    finally:
        AcceleratorState._reset_state(True)
    assert (result.resumed_from, result.steps, len(result.losses)) == (2, 2, 4)
    assert [s for s, m in logged if "eval_loss" in m] == [4]
    assert (tmp_path / "best" / "adapter_model.safetensors").exists()


def test_lora_on_the_top_layers_leaves_the_lower_layers_untouched(tiny_model_dir, tmp_path):
    model, tokenizer = load_causal_lm(tiny_model_dir)
    cfg = TrainConfig(max_steps=2, checkpoint_every=100, eval_every=100, lora_layers=1, **FAST)
    model = prepare(model, cfg)
    adapted = {name.split(".layers.")[1].split(".")[0] for name, p in model.named_parameters() if p.requires_grad}
    assert adapted == {"1"}, "only the top layer of two carries adapters"
    result = train(model, tokenizer, arithmetic_pairs(8), cfg, tmp_path)
    assert result.steps == 2
