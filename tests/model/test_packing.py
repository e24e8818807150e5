"""A packed batch (each question's shared start once, a block mask, positions that restart) trains exactly
what the unpacked batch trains: the same loss, the same gradients, on fewer tokens."""

from __future__ import annotations

import random

import pytest
import torch

from components.models import load_causal_lm
from components.training.collate import IGNORE, collate, encode, tokens_in
from components.training.examples import epoch_examples, make_example, training_units
from components.training.frozen import FrozenPrefix, top_only
from components.training.loss import judgment_loss
from components.training.packing import pack, question_batches, shared_start
from components.training.trainer import TrainConfig, prepare, train
from tests.factories import arithmetic_pairs, make_pair

pytestmark = pytest.mark.slow


def question_rows(tokenizer, with_reference=(True, True, True, True, False)):
    """Five answers to two questions -- one of them a prefix of another, one shown without the reference --
    and one answer to a third: the shapes a real batch has."""
    answers = [("q1", "12", 10), ("q1", "1", 3), ("q1", "13", 2), ("q2", "Paris", 10), ("q2", "Lyon", 2)]
    pairs = [
        make_pair(
            id=f"p{i}",
            question_id=q,
            instruction="What is 5 + 7?" if q == "q1" else "What is the capital of France?",
            reference="12" if q == "q1" else "Paris",
            answer1=answer,
            answer2="x",
            score1=score,
            score2=1,
            verdict=1,
        )
        for i, (q, answer, score) in enumerate(answers)
    ]
    pairs.append(arithmetic_pairs(1)[0])
    refs = [*with_reference, True]
    return [
        encode(make_example(p, "pointwise", "pointwise", ref, score_line=True), tokenizer)
        for p, ref in zip(pairs, refs, strict=True)
    ]


def adapted(folder, layers=None):
    model, tokenizer = load_causal_lm(folder)
    model = prepare(model, TrainConfig(lora_layers=layers, lora_dropout=0.0))
    for name, parameter in model.named_parameters():  # lora_B starts at zero: make the adapter matter
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.2)
    return model, tokenizer


def loss_and_grads(model, batch):
    loss = judgment_loss(model, batch)
    loss.backward()
    grads = {id(p): p.grad.clone() for p in model.parameters() if p.requires_grad}  # names change under top_only
    model.zero_grad()
    return float(loss.detach()), grads


def test_the_shared_start_stops_at_the_answer_and_never_reaches_a_target(four_layers):
    _, tokenizer = load_causal_lm(four_layers)
    rows = question_rows(tokenizer)
    q1 = rows[:3]
    start = shared_start(q1)
    assert all(row["input_ids"][:start] == q1[0]["input_ids"][:start] for row in q1)
    assert len({row["input_ids"][start] for row in q1}) > 1 or start == min(r["labels"].count(IGNORE) for r in q1)
    assert "12" in tokenizer.decode(q1[0]["input_ids"][:start]), "the reference is part of the shared start"
    assert start <= min(row["labels"].count(IGNORE) for row in q1)
    # the answer "1" is a prefix of "12" and "13": the shared start may run into the answers, never past them
    assert shared_start([rows[3], rows[4]]) < shared_start([rows[3], rows[3]])


def test_a_packed_batch_gives_the_unpacked_loss_and_gradients(four_layers):
    model, tokenizer = adapted(four_layers)
    rows = question_rows(tokenizer)
    expected, expected_grads = loss_and_grads(model, collate(rows, tokenizer.pad_token_id))
    packed = pack(rows, tokenizer.pad_token_id)
    assert packed["input_ids"].shape[1] < tokens_in(rows), "each question's start is fed once"
    assert int((packed["labels"] != IGNORE).sum()) == sum(sum(t != IGNORE for t in r["labels"]) for r in rows)
    got, grads = loss_and_grads(model, packed)
    assert got == pytest.approx(expected, rel=1e-5)
    assert grads.keys() == expected_grads.keys()
    for key, grad in expected_grads.items():
        torch.testing.assert_close(grads[key], grad, rtol=1e-4, atol=1e-6)


def test_packing_works_on_the_frozen_layers_cached_inputs(four_layers):
    model, tokenizer = adapted(four_layers, layers=2)
    rows = question_rows(tokenizer)
    expected, expected_grads = loss_and_grads(model, collate(rows, tokenizer.pad_token_id))
    FrozenPrefix(model, 2).attach(rows)
    with top_only(model, 2):
        got, grads = loss_and_grads(model, pack(rows, tokenizer.pad_token_id))
    assert got == pytest.approx(expected, rel=1e-5)
    assert grads.keys() == expected_grads.keys()
    for key, grad in expected_grads.items():
        torch.testing.assert_close(grads[key], grad, rtol=1e-4, atol=1e-6)


def test_the_frozen_layers_run_packed_give_each_row_its_unpacked_states_on_fewer_tokens(four_layers):
    model, tokenizer = adapted(four_layers, layers=2)
    rows, again = question_rows(tokenizer), question_rows(tokenizer)
    alone, packed = FrozenPrefix(model, 2), FrozenPrefix(model, 2, packed=True)
    alone.attach(rows)
    packed.attach(again)
    assert packed.computed_tokens < alone.computed_tokens == tokens_in(rows)
    for row, packed_row in zip(rows, again, strict=True):
        assert packed_row["hidden"].shape == row["hidden"].shape
        torch.testing.assert_close(packed_row["hidden"], row["hidden"], rtol=1e-4, atol=1e-5)


def test_question_batches_keep_a_questions_answers_together_and_cover_every_row():
    groups = [q for q in "aaaaabbbbbbcccdddddd"]
    batches = question_batches(groups, 4, random.Random(0))
    assert sorted(i for batch in batches for i in batch) == list(range(len(groups)))
    # cut in order: a question's rows are contiguous across the batch sequence
    flat = [groups[i] for batch in batches for i in batch]
    assert all(flat.index(q) + groups.count(q) - 1 == len(flat) - 1 - flat[::-1].index(q) for q in "abcd")
    assert question_batches(groups, 4, random.Random(0)) == batches
    assert question_batches(groups, 4, random.Random(1)) != batches


def test_packed_training_trains_the_adapters_it_would_have_trained_unpacked(four_layers, tmp_path, monkeypatch):
    """The same question-grouped batches, packed and padded: the same losses and adapter after a few steps."""
    import components.training.trainer as trainer

    pairs = [p.model_copy(update={"question_id": f"q{i // 2}"}) for i, p in enumerate(arithmetic_pairs(8))]
    results = {}
    for packed in (True, False):
        model, tokenizer = load_causal_lm(four_layers)
        cfg = TrainConfig(
            template="pointwise",
            output_format="pointwise",
            target="score_line",
            lora_layers=2,
            lora_dropout=0.0,
            frozen_cache=True,
            pack_questions=packed,
            max_steps=3,
            batch_size=4,
            learning_rate=1e-2,
            eval_every=100,
            bf16=False,
        )
        model = prepare(model, cfg)
        if not packed:  # the padded run batches as the packed one did
            groups = [e.group for e in epoch_examples(pairs, 0, "pointwise", "pointwise", cfg.augment)]
            monkeypatch.setattr(
                trainer,
                "length_grouped_batches",
                lambda lengths, size, rng, twins=1, groups=groups: question_batches(groups, size, rng),
            )
        result = train(model, tokenizer, pairs, cfg, tmp_path / str(packed))
        results[packed] = (result, {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad})
    assert len(training_units(pairs, "pointwise")) > 8
    assert results[True][0].steps == results[False][0].steps == 3
    assert results[True][0].tokens == results[False][0].tokens, "the same examples"
    assert results[True][0].fed_tokens < results[False][0].fed_tokens, "on fewer tokens"
    for a, b in zip(results[False][0].losses, results[True][0].losses, strict=True):
        assert a == pytest.approx(b, rel=1e-4)
    for name, weight in results[False][1].items():
        torch.testing.assert_close(
            results[True][1][name], weight, rtol=1e-3, atol=1e-3
        )  # Adam scales a tiny gradient up: 10% of one step


def test_the_val_pass_on_the_top_layers_reads_what_the_whole_model_reads(four_layers):
    """components/training/top_layers_lm.py: logprob mode through the top layers on the bottom layers'
    cached outputs states the same scores as through the whole model, and so the same val figures."""
    from components.config import JudgeParams
    from components.judges.logprob import read_judgments
    from components.training.agreement import val_agreement
    from components.training.top_layers_lm import TopLayersLM

    model, tokenizer = adapted(four_layers, layers=2)
    rows = question_rows(tokenizer)
    prompts = [tokenizer.decode(row["input_ids"][: row["labels"].count(IGNORE)]) for row in rows]
    whole = read_judgments(model, tokenizer, prompts, "pointwise", batch_size=4)
    top = TopLayersLM(model, 2)
    on_top = read_judgments(top, tokenizer, prompts, "pointwise", batch_size=4)
    assert top.prefix.computed_tokens < sum(len(tokenizer(p)["input_ids"]) + 1 for p in prompts), "starts shared"
    for a, b in zip(whole, on_top, strict=True):
        assert a.raw == b.raw and a.parsed.failed == b.parsed.failed
        assert b.parsed.score1 == pytest.approx(a.parsed.score1, abs=1e-4)
    pairs = [p.model_copy(update={"question_id": f"q{i // 3}"}) for i, p in enumerate(arithmetic_pairs(9))]
    judge = JudgeParams(mode="logprob", batch_size=4)
    assert val_agreement(pairs, tokenizer, "pointwise", judge, frozen_layers=2)(model) == pytest.approx(
        val_agreement(pairs, tokenizer, "pointwise", judge)(model), nan_ok=True
    )


def test_the_val_loss_on_the_top_layers_packed_is_the_whole_models_loss_on_the_trained_target(four_layers):
    """components/training/evaluation.py: with the frozen-prefix cache the val loss runs a step's forward (the
    top layers on cached, packed rows) and gives the whole model's padded loss; it is the loss of what the
    steps train (a pairwise judge's score line alone under ``target: score_line``, not a reason never trained)."""
    from components.training.evaluation import EvalSet
    from components.training.runtime import Local

    model, tokenizer = adapted(four_layers, layers=2)
    pairs = [p.model_copy(update={"question_id": f"q{i // 3}"}) for i, p in enumerate(arithmetic_pairs(9))]
    runtime = Local(False)

    def val_loss(**options) -> float:
        return EvalSet(pairs, tokenizer, "pointwise", "pointwise", 1024, 4, **options).loss(model, runtime)

    whole = val_loss(score_line=True)
    prefix = FrozenPrefix(model, 2, packed=True)
    packed = EvalSet(pairs, tokenizer, "pointwise", "pointwise", 1024, 4, score_line=True, prefix=prefix, packed=True)
    assert packed.loss(model, runtime) == pytest.approx(whole, rel=1e-5)
    assert len(packed.batches()) < len(pairs), "a packed row holds several questions"
    assert "hidden" in packed.batches()[0], "the top layers run on the bottom layers' cached outputs"
    assert val_loss(score_line=True, prefix=FrozenPrefix(model, 2)) == pytest.approx(whole, rel=1e-5)
    pairwise = [EvalSet(pairs, tokenizer, "judgelm", "judgelm", 1024, 4, score_line=s) for s in (True, False)]
    assert pairwise[0].rows[0]["input_ids"] != pairwise[1].rows[0]["input_ids"], "the reason is not the target"
