"""The loss that skips the LM head on unlabelled positions is the loss HF computes, and a peft
model merged for a judging pass is the same model after it."""

import pytest
import torch

from components.training.collate import collate, encode
from components.training.examples import NO_AUGMENT, epoch_examples
from components.training.loss import judgment_loss
from components.training.trainer import TrainConfig, prepare
from tests.factories import arithmetic_pairs, make_pair


def _batch(tokenizer, pairs):
    examples = epoch_examples(pairs, 0, "judgeops", "judgelm", NO_AUGMENT)
    return collate([encode(e, tokenizer) for e in examples], tokenizer.pad_token_id)


def test_judgment_loss_equals_the_full_logits_loss_on_a_ragged_batch(tiny_model):
    model, tokenizer = tiny_model
    long_prompt = make_pair(id="long", instruction="Add these numbers and explain every step: " + "1 + " * 40 + "1")
    batch = _batch(tokenizer, arithmetic_pairs(3) + [long_prompt])
    lengths = batch["attention_mask"].sum(-1)
    assert int(lengths.max() - lengths.min()) > 40  # rows end, and their targets start, at different columns
    with torch.no_grad():
        expected = model(**batch).loss
        assert torch.allclose(judgment_loss(model, batch), expected, atol=1e-5)


def test_judgment_loss_gradients_match_the_full_logits_loss(tiny_model_dir):
    from components.models import load_causal_lm

    model, tokenizer = load_causal_lm(tiny_model_dir)
    batch = _batch(tokenizer, arithmetic_pairs(4))
    grads = []
    for loss_of in (lambda: model(**batch).loss, lambda: judgment_loss(model, batch)):
        model.zero_grad()
        loss_of().backward()
        grads.append(model.model.layers[0].mlp.up_proj.weight.grad.clone())
    assert torch.allclose(grads[0], grads[1], atol=1e-6)


def test_a_batch_without_labels_is_an_error(tiny_model):
    model, tokenizer = tiny_model
    batch = _batch(tokenizer, arithmetic_pairs(2))
    batch["labels"][:] = -100
    with pytest.raises(ValueError, match="no labelled tokens"):
        judgment_loss(model, batch)


def test_merged_for_a_judging_pass_leaves_the_model_as_it_was(tiny_model_dir):
    from components.models import load_causal_lm
    from components.training.agreement import merged

    model, tokenizer = load_causal_lm(tiny_model_dir)
    model = prepare(model, TrainConfig(lora_r=4, lora_alpha=8, bf16=False))
    for name, param in model.named_parameters():
        if "lora_B" in name:  # peft starts B at zero; give the adapter something to merge
            torch.nn.init.normal_(param, std=0.5)
    model.eval()
    batch = _batch(tokenizer, arithmetic_pairs(2))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    with torch.no_grad():
        unmerged = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        with merged(model):
            inside = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    assert torch.allclose(inside, unmerged, atol=1e-3)  # float rounding of W + BA
    after = dict(model.named_parameters())
    for name, value in before.items():  # bit for bit: an evaluation must not move what the next step trains
        assert torch.equal(after[name].detach(), value), name
    assert not any(getattr(module, "merged", False) for module in model.modules())


def test_the_first_line_mask_covers_the_score_line_and_its_newline(tiny_model):
    _, tokenizer = tiny_model
    batch = _batch(tokenizer, arithmetic_pairs(2))
    for row, score_line in enumerate(("9 3\n", "3 9\n")):
        assert tokenizer.decode(batch["input_ids"][row][batch["first_line"][row]]) == score_line


def test_a_score_weight_raises_the_score_lines_share_of_the_loss(tiny_model):
    model, tokenizer = tiny_model
    batch = _batch(tokenizer, arithmetic_pairs(3))
    with torch.no_grad():
        plain = judgment_loss(model, batch)
        heavy = judgment_loss(model, batch, first_line_weight=1000.0)
        only_scores = dict(batch, labels=torch.where(batch["first_line"], batch["labels"], -100))
        scores = judgment_loss(model, only_scores)
    assert not torch.allclose(plain, heavy)
    assert torch.allclose(heavy, scores, rtol=0.02)  # weight -> infinity: the loss on the score line alone
