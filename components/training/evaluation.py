"""Loss on the validation split: the training encoding, no augmentation, the reference kept.

Validation agreement says whether the judge picks the right answer; the loss says how well it
writes the whole target (scores and reason), and it falls or rises long before agreement moves
on a small val set -- an early sign of overfitting.
"""

from __future__ import annotations

import torch

from components.schemas import Pair
from components.training.collate import IGNORE, collate, encode
from components.training.examples import NO_AUGMENT, epoch_examples
from components.training.loss import judgment_loss


class EvalSet:
    """The val pairs encoded once and batched by length (the same batches at every eval step)."""

    def __init__(
        self, pairs: list[Pair], tokenizer, template: str, output_format: str, max_tokens: int, batch_size: int
    ):
        examples = epoch_examples(pairs, 0, template, output_format, NO_AUGMENT)
        encoded = sorted((encode(e, tokenizer, max_tokens) for e in examples), key=lambda row: len(row["input_ids"]))
        self.batches = [
            collate(encoded[start : start + batch_size], tokenizer.pad_token_id)
            for start in range(0, len(encoded), batch_size)
        ]

    def loss(self, model, runtime) -> float:
        """Mean loss per target token over the whole set (not a mean of batch means, which would
        weigh the few rows of the last batch as much as a full one). Every process runs every
        batch, so sharded models (FSDP) see the same forward passes on all ranks."""
        total, count = 0.0, 0
        with torch.no_grad(), runtime.autocast():
            for batch in self.batches:
                batch = runtime.to_device(batch)
                tokens = int((batch["labels"][:, 1:] != IGNORE).sum())
                total += float(judgment_loss(model, batch)) * tokens
                count += tokens
        return total / count if count else float("nan")
