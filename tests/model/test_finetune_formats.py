"""Training in the pandalm and pointwise output formats: the label tokens decode to the target the
parser reads back, and the tiny model learns them (train and val loss fall)."""

from pathlib import Path

import pytest

from components.config import ConfigError, FinetuneParams, JudgeParams
from components.judges.parsers import parse
from components.training.agreement import val_agreement
from components.training.collate import IGNORE, encode
from components.training.examples import Augment, epoch_examples
from components.training.trainer import TrainConfig, prepare, train
from tests.factories import arithmetic_pairs, make_pair

pytestmark = pytest.mark.slow

FAST = dict(batch_size=2, learning_rate=3e-2, warmup_steps=1, lora_r=8, lora_alpha=16, bf16=False, seed=0)


def _labels(example, tokenizer) -> str:
    encoded = encode(example, tokenizer)
    return tokenizer.decode([t for t in encoded["labels"] if t != IGNORE])


def test_pandalm_labels_are_verdict_then_reason_and_the_prompt_has_no_reference(tiny_model):
    _, tokenizer = tiny_model
    pair = make_pair()
    kept, swapped = (epoch_examples([pair], 0, "pandalm", "pandalm", Augment(p, 0.0))[0] for p in (0.0, 1.0))
    assert _labels(kept, tokenizer) == "1\n### Reason: Assistant 1 is right; Assistant 2 is wrong.<|im_end|>"
    assert _labels(swapped, tokenizer) == "2\n### Reason: Assistant 2 is right; Assistant 1 is wrong.<|im_end|>"
    assert parse("pandalm", kept.target).verdict == 1
    assert not kept.with_reference and "4\n\n### Response 2:\n5" in kept.messages[-1]["content"]


def test_pointwise_makes_one_example_per_answer_with_that_answers_score_alone(tiny_model):
    _, tokenizer = tiny_model
    examples = epoch_examples([make_pair()], 0, "pointwise", "pointwise", Augment(0.5, 0.0))
    assert [_labels(e, tokenizer) for e in examples] == ["9<|im_end|>", "2<|im_end|>"]
    prompts = [e.messages[-1]["content"] for e in examples]
    assert "[Answer]\n4\n" in prompts[0] and "[Answer]\n5\n" in prompts[1]
    assert parse("pointwise", examples[1].target).score1 == 2


@pytest.mark.parametrize(("template", "output_format"), [("pandalm", "pandalm"), ("pointwise", "pointwise")])
def test_the_tiny_model_learns_the_format(tiny_model_dir, tmp_path: Path, template: str, output_format: str):
    from components.models import load_causal_lm

    model, tokenizer = load_causal_lm(tiny_model_dir)
    cfg = TrainConfig(
        max_steps=6, checkpoint_every=100, eval_every=3, template=template, output_format=output_format, **FAST
    )
    pairs, val = arithmetic_pairs(24), arithmetic_pairs(28)[24:]
    evaluate = val_agreement(val, tokenizer, template, JudgeParams(batch_size=8, max_new_tokens=3))
    logged = []
    result = train(
        prepare(model, cfg), tokenizer, pairs, cfg, tmp_path, evaluate, lambda s, m: logged.append((s, m)), val
    )
    assert sum(result.losses[-2:]) < sum(result.losses[:2])
    evals = [(step, m) for step, m in logged if "eval_loss" in m]
    assert [step for step, _ in evals] == [3, 6]
    assert evals[1][1]["eval_loss"] < evals[0][1]["eval_loss"]
    assert all(0.0 <= m["val_agreement"] <= 1.0 for _, m in evals)


@pytest.mark.parametrize(
    ("template", "output_format"), [("judgeops", "pandalm"), ("pandalm", "judgelm"), ("judgelm", "pointwise")]
)
def test_a_template_that_asks_for_another_format_is_a_config_error_naming_both_keys(template, output_format):
    from components.config import parse_params

    with pytest.raises(ConfigError) as error:
        parse_params(
            {
                "generate": {"families": ["arithmetic"], "variants": ["correct"]},
                "finetune": {"template": template, "output_format": output_format},
            }
        )
    assert "finetune.template" in str(error.value) and "finetune.output_format" in str(error.value)
    assert FinetuneParams(template="pointwise", output_format="pointwise").template == "pointwise"
