"""The SFT loss on the judgment tokens, with logits computed only where there is a label.

A judge's target (score line and reason, ~40 tokens) is a fraction of its prompt (~130 tokens),
and the language-model head is the widest matrix of a small model (SmolLM2: 49,152 x 576 of 135M
parameters). HF computes the head's logits at every position and then throws most of them away;
asking for the last ``keep`` columns only (``logits_to_keep``) skips that work in the forward and
backward pass and the [batch, length, vocab] tensors that come with it. With ``first_line_weight``
1 the value is the same mean cross-entropy over target tokens that ``model(..., labels=...)``
returns; above 1 the score line's tokens (``collate``'s ``first_line``) count that many times in a
weighted mean. Why: the score line is 4 of a judgment's ~40 target tokens, so a plain mean spends
most of a short run on the reason's wording, which the teacher templates and which is easy to fit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from components.training.collate import IGNORE


def judgment_loss(model, batch: dict, first_line_weight: float = 1.0, denominator: float | None = None) -> torch.Tensor:
    """Mean cross-entropy over the labelled tokens of a right-padded batch from ``collate``. A batch
    with cached ``hidden`` states feeds them instead of the tokens (the model cut to its top layers).
    ``denominator`` replaces the batch's own ``target_weight``: a process that holds a share of a
    batch divides by the whole batch's, so the shares' losses add up to the batch's mean."""
    labels = batch["labels"]
    labelled = labels != IGNORE
    if not bool(labelled.any()):
        raise ValueError("a training batch has no labelled tokens: every target was cut away")
    inputs = {"inputs_embeds": batch["hidden"]} if "hidden" in batch else {"input_ids": batch["input_ids"]}
    if "position_ids" in batch:  # a packed row (components/training/packing.py): targets lie all along it
        predicting = labelled[0, 1:].nonzero().squeeze(-1)  # the columns just before each target token
        inputs["position_ids"] = batch["position_ids"]
        keep, targets_from = predicting, predicting + 1
    else:  # right-padded rows: from the column that predicts the earliest target token to the end
        width = labels.shape[1]
        first = int(labelled.int().argmax(-1)[labelled.any(-1)].min())
        keep = width - first + 1
        targets_from = slice(width - keep + 1, None)
    logits = model(**inputs, attention_mask=batch["attention_mask"], logits_to_keep=keep, use_cache=False).logits
    if "position_ids" not in batch:
        logits = logits[:, :-1]
    targets = labels[:, targets_from].reshape(-1)
    losses = F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), targets, ignore_index=IGNORE, reduction="none"
    )
    on_first_line = batch["first_line"][:, targets_from].reshape(-1)
    weights = (targets != IGNORE).float() * torch.where(on_first_line, first_line_weight, 1.0)
    return (losses * weights).sum() / (weights.sum() if denominator is None else denominator)


def target_weight(rows: list[dict], first_line_weight: float = 1.0) -> float:
    """What ``judgment_loss`` divides by for these encoded rows batched together: their target tokens,
    each score-line token counted ``first_line_weight`` times. Computed from the rows, not the padded
    tensors, so every process of a data-parallel run knows the whole batch's without a collective."""
    return float(
        sum(
            sum(label != IGNORE for label in row["labels"]) + (first_line_weight - 1) * row["first_line"]
            for row in rows
        )
    )
