"""Verdict agreement with the teacher on the val split: how the trainer picks its best checkpoint.

CritiqueLLM picks its checkpoint by validation correlation; we pick by verdict agreement, judged
the way the trained judge will be used: by HFJudge in the judge section's mode (logprob falls back
to score-first for an output format it cannot read), with a LoRA adapter merged into the weights
for the pass and restored exactly after it, since an unmerged adapter judges 2.8x slower. A pointwise judge
grades each answer alone and the verdict follows from the two scores (HFJudge's pointwise rule); a
parse failure counts as a miss, never as a tie.

Beside them it reports ``val_auc``: how well the scores the judge gave separate the val split's correct
answers from its wrong ones, each distinct answer once (components.answer_quality, the rule the report
applies to the test split). It is shown on the learning curve; the best step is still chosen by
``val_agreement`` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from components.answer_quality import answer_scores, auc
from components.config import JudgeParams
from components.judges.base import JudgeItem
from components.judges.hf import HFJudge
from components.judges.score_reading import usable_mode
from components.metrics import pairwise_metrics
from components.schemas import Judgment, Pair


def val_agreement(
    val_pairs: list[Pair], tokenizer, template: str, judge: JudgeParams, frozen_layers: int | None = None
) -> Callable[[object], dict[str, float]]:
    """A callback for ``train(evaluate=...)``: model -> ``val_agreement`` (the share of val pairs whose
    verdict matches), ``val_kappa`` (Cohen's kappa of those verdicts, failures a class of their own) and
    ``val_auc`` (correct vs wrong val answers by the judge's scores; NaN when val has not both kinds).
    ``frozen_layers``: only the top N layers train (the frozen-prefix cache), so logprob mode reads the
    val answers through those layers on the bottom layers' outputs, computed at the first evaluation and
    kept (components/training/top_layers_lm.py)."""
    mode = usable_mode(judge.mode, template)
    top_layers = None

    def evaluate(model) -> dict[str, float]:
        nonlocal top_layers
        if frozen_layers and mode == "logprob" and top_layers is None:
            from components.training.top_layers_lm import TopLayersLM

            top_layers = TopLayersLM(model, frozen_layers)
        hf = HFJudge(
            name="val",
            model_path="",
            model=top_layers or model,
            tokenizer=tokenizer,
            template=template,
            mode=mode,
            with_reference=judge.with_reference,
            batch_size=judge.batch_size,
            max_new_tokens=judge.max_new_tokens,
            max_prompt_tokens=judge.max_prompt_tokens,
            min_score_mass=judge.min_score_mass,
        )
        with merged(model):
            judgments = hf.judge([JudgeItem(p) for p in val_pairs])
        return _scores(val_pairs, judgments)

    return evaluate


def _scores(val_pairs: list[Pair], judgments: list[Judgment]) -> dict[str, float]:
    found = pairwise_metrics([p.verdict for p in val_pairs], [j.verdict for j in judgments])
    return {
        "val_agreement": found["accuracy"],
        "val_kappa": found["cohen_kappa"],
        "val_auc": auc(answer_scores(val_pairs, judgments)),
    }


@contextmanager
def merged(model) -> Iterator[None]:
    """A peft model's adapters folded into its weights for the duration (any other model as it is).

    The weights an adapter folds into are restored exactly afterwards, from a copy kept on the CPU:
    unmerging subtracts in floating point what merging added, so each judging pass used to move the
    frozen weights by a rounding error, and a run's trajectory depended on how often it was evaluated."""
    if not hasattr(model, "merge_adapter"):
        yield
        return
    adapted = [module.get_base_layer() for module in model.modules() if hasattr(module, "lora_A")]
    kept = [(p, p.detach().to("cpu", copy=True)) for layer in adapted for p in layer.parameters()]
    model.merge_adapter()
    try:
        yield
    finally:
        model.unmerge_adapter()
        with torch.no_grad():
            for p, original in kept:
                p.copy_(original)
