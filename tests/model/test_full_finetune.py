"""Full fine-tuning (method: full) on the tiny model: every weight trains, and a run that crashes
after a checkpoint resumes to exactly the weights an uninterrupted run reaches."""

from pathlib import Path

import pytest
import torch

from components.models import load_causal_lm
from components.training import checkpoints
from components.training.examples import Augment
from components.training.trainer import TrainConfig, prepare, train
from tests.factories import arithmetic_pairs

pytestmark = pytest.mark.slow

FULL = TrainConfig(
    method="full",
    max_steps=4,
    checkpoint_every=2,
    eval_every=100,
    batch_size=4,
    learning_rate=1e-3,
    warmup_steps=1,
    bf16=False,
    seed=0,
    augment=Augment(0.5, 0.3),
)


class Crash(RuntimeError):
    pass


def _crash_at(step: int):
    def log(current: int, metrics: dict) -> None:
        if current == step:
            raise Crash(f"simulated crash at step {step}")

    return log


def test_full_finetuning_trains_every_weight_and_resumes_to_the_same_weights(tiny_model_dir, tmp_path: Path):
    pairs = arithmetic_pairs(12)
    model, tokenizer = load_causal_lm(tiny_model_dir)
    model = prepare(model, FULL)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    assert all(p.requires_grad for p in model.parameters())
    straight = train(model, tokenizer, pairs, FULL, tmp_path / "straight")
    assert all(not torch.equal(p.detach(), before[name]) for name, p in model.named_parameters())
    expected = {name: p.detach().clone() for name, p in model.named_parameters()}

    workdir = tmp_path / "crashed"
    crashed, _ = load_causal_lm(tiny_model_dir)
    with pytest.raises(Crash):
        train(prepare(crashed, FULL), tokenizer, pairs, FULL, workdir, log=_crash_at(3))
    assert checkpoints.latest(workdir / "checkpoints").name == "step-000002"

    fresh, _ = load_causal_lm(tiny_model_dir)
    resumed = train(prepare(fresh, FULL), tokenizer, pairs, FULL, workdir)
    assert (resumed.resumed_from, resumed.steps) == (2, 2)
    assert resumed.losses == pytest.approx(straight.losses)
    for name, p in fresh.named_parameters():
        torch.testing.assert_close(p.detach(), expected[name], rtol=0, atol=1e-6, msg=name)
    assert (workdir / "best" / "model.safetensors").exists()


def test_resuming_full_weights_from_a_lora_checkpoint_fails_loudly(tiny_model_dir, tmp_path: Path):
    lora = TrainConfig(max_steps=1, checkpoint_every=1, eval_every=100, batch_size=4, lora_r=4, bf16=False)
    model, tokenizer = load_causal_lm(tiny_model_dir)
    train(prepare(model, lora), tokenizer, arithmetic_pairs(4), lora, tmp_path)
    full, _ = load_causal_lm(tiny_model_dir)
    with pytest.raises(ValueError, match="does not fit this model"):
        train(prepare(full, FULL), tokenizer, arithmetic_pairs(4), FULL, tmp_path)
