"""Training the top layers on cached frozen-layer outputs computes what the whole model computes."""

from __future__ import annotations

import contextlib

import pytest
import torch

from components.models import load_causal_lm
from components.training.collate import collate, encode
from components.training.examples import make_example
from components.training.frozen import Bf16Weights, FrozenPrefix, top_only
from components.training.loss import judgment_loss
from components.training.trainer import TrainConfig, prepare, train
from tests.factories import arithmetic_pairs

pytestmark = pytest.mark.slow


def batch_of(tokenizer, pairs):
    rows = [encode(make_example(p, "pointwise", "pointwise", True, score_line=True), tokenizer) for p in pairs]
    return rows


def test_the_cut_model_on_cached_inputs_gives_the_whole_model_loss_and_gradients(four_layers):
    model, tokenizer = load_causal_lm(four_layers)
    model = prepare(model, TrainConfig(lora_layers=2, lora_dropout=0.0))
    for name, parameter in model.named_parameters():  # lora_B starts at zero: make the adapter matter
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.2)
    rows = batch_of(tokenizer, arithmetic_pairs(5))  # different lengths: right padding is exercised
    whole = collate(rows, tokenizer.pad_token_id)
    expected = judgment_loss(model, whole)
    expected.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad()

    prefix = FrozenPrefix(model, 2)
    prefix.attach(rows)
    cached = collate(rows, tokenizer.pad_token_id)
    assert cached["hidden"].shape[:2] == whole["input_ids"].shape
    with top_only(model, 2):
        got = judgment_loss(model, cached)
    got.backward()
    assert float(got.detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            torch.testing.assert_close(parameter.grad, grads[name], rtol=1e-4, atol=1e-6)
    assert len(model.get_base_model().get_decoder().layers) == 4, "the layer list is restored"


def test_each_distinct_sequence_is_computed_once(four_layers):
    model, tokenizer = load_causal_lm(four_layers)
    model = prepare(model, TrainConfig(lora_layers=1))
    rows = batch_of(tokenizer, arithmetic_pairs(3))
    prefix = FrozenPrefix(model, 1)
    prefix.attach(rows)
    first = prefix.computed_tokens
    again = batch_of(tokenizer, arithmetic_pairs(3))
    prefix.attach(again)
    assert prefix.computed_tokens == first == sum(len(r["input_ids"]) for r in rows)
    assert all(a["hidden"] is b["hidden"] for a, b in zip(rows, again, strict=True))


def test_the_first_fill_says_how_far_it_is_and_a_filled_cache_says_nothing(four_layers, caplog):
    """The cache fill takes minutes on SmolLM2: a log line counts it, and a rerun over cached rows is silent."""
    model, tokenizer = load_causal_lm(four_layers)
    model = prepare(model, TrainConfig(lora_layers=1))
    rows = batch_of(tokenizer, arithmetic_pairs(3))
    prefix = FrozenPrefix(model, 1, progress="frozen layers")
    with caplog.at_level("INFO", logger="components.progress"):
        prefix.attach(rows)
        (line,) = [r.getMessage() for r in caplog.records]
        assert line.startswith(f"frozen layers: {len(rows)}/{len(rows)} examples (100%)") and "done" in line
        caplog.clear()
        prefix.attach(batch_of(tokenizer, arithmetic_pairs(3)))
    assert not caplog.records


def test_training_with_the_cache_changes_only_the_top_adapters(four_layers, tmp_path):
    model, tokenizer = load_causal_lm(four_layers)
    cfg = TrainConfig(
        template="pointwise",
        output_format="pointwise",
        target="score_line",
        lora_layers=2,
        frozen_cache=True,
        max_steps=4,
        batch_size=4,
        learning_rate=1e-2,
        checkpoint_every=2,
        eval_every=100,
        bf16=False,
    )
    model = prepare(model, cfg)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    result = train(model, tokenizer, arithmetic_pairs(8), cfg, tmp_path)
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n and (".layers.2." in n or ".layers.3." in n) for n in changed)
    assert result.steps == 4 and result.tokens > 0


def test_the_cache_needs_lora_on_some_top_layers(four_layers, tmp_path):
    model, tokenizer = load_causal_lm(four_layers)
    cfg = TrainConfig(frozen_cache=True, lora_layers=None, max_steps=1, bf16=False)
    with pytest.raises(ValueError, match="frozen_cache needs method lora and lora_layers"):
        train(prepare(model, cfg), tokenizer, arithmetic_pairs(2), cfg, tmp_path)


def test_bf16_weight_copies_change_nothing_a_bf16_step_computes(four_layers):
    model, tokenizer = load_causal_lm(four_layers)
    model = prepare(model, TrainConfig(lora_layers=2, lora_dropout=0.0))
    for name, parameter in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.2)
    rows = batch_of(tokenizer, arithmetic_pairs(5))
    FrozenPrefix(model, 2).attach(rows)
    batch = collate(rows, tokenizer.pad_token_id)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}

    def step(weights=None):
        with top_only(model, 2), weights.swapped() if weights else contextlib.nullcontext():
            head = model.get_base_model().get_output_embeddings().weight
            assert head.dtype == (torch.bfloat16 if weights else torch.float32)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = judgment_loss(model, batch)
            loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
        model.zero_grad()
        return loss.detach(), grads

    cast_every_call, grads = step()
    weights = Bf16Weights(model, 2)
    cast_once, grads_once = step(weights)
    assert torch.equal(cast_once, cast_every_call)
    for name, grad in grads.items():
        assert torch.equal(grads_once[name], grad), name
    for name, parameter in model.named_parameters():
        assert parameter.dtype == torch.float32, f"{name} is fp32 again after the step"
        assert torch.equal(parameter.detach(), before[name]), name
    assert len(weights._copies) == 2 * 7 + 1, "every frozen matrix of the top 2 layers, and the head"
