"""Loss on the validation split: the training encoding and target, no augmentation, the reference kept.

Validation agreement says whether the judge picks the right answer; the loss says how well it
writes what it is trained to write (the score line alone, or the score line and the reason: the
same ``target`` as the steps), and it falls or rises long before agreement moves on a small val
set -- an early sign of overfitting.

With the frozen-prefix cache (components/training/frozen.py) the loss is computed the way a step's
forward is: the bottom layers' outputs are looked up (computed at the first evaluation, kept), only
the top layers run, and with ``pack_questions`` a question's answers share one packed row. Running
the whole model over padded val rows instead cost 23-26 s at every eval step of the default run
(2 cores), for a value equal to float rounding (tests/model/test_packing.py).
"""

from __future__ import annotations

import contextlib

import torch

from components.schemas import Pair
from components.training.collate import IGNORE, collate, encode
from components.training.examples import NO_AUGMENT, epoch_examples
from components.training.frozen import FrozenPrefix, top_only
from components.training.loss import judgment_loss
from components.training.packing import group_runs, pack

PACKED_RUN_TOKENS = 2048
"""Unpacked tokens per packed val row (whole questions): a forward pass only, so longer than a step's."""


class EvalSet:
    """The val pairs encoded once, batched the same way at every eval step: by length (right padding), or
    by question into packed rows when ``packed``. ``prefix``: the trainer's frozen-prefix cache, whose
    bottom-layer outputs the top layers then run on."""

    def __init__(
        self,
        pairs: list[Pair],
        tokenizer,
        template: str,
        output_format: str,
        max_tokens: int,
        batch_size: int,
        score_line: bool = False,
        prefix: FrozenPrefix | None = None,
        packed: bool = False,
    ):
        examples = epoch_examples(pairs, 0, template, output_format, NO_AUGMENT, score_line)
        self.rows = [encode(e, tokenizer, max_tokens) for e in examples]
        self.pad_id, self.prefix, self.packed = tokenizer.pad_token_id, prefix, packed
        if packed:
            self.order = group_runs(self.rows, PACKED_RUN_TOKENS)
        else:
            by_length = sorted(range(len(self.rows)), key=lambda i: len(self.rows[i]["input_ids"]))
            self.order = [by_length[start : start + batch_size] for start in range(0, len(by_length), batch_size)]
        self._batches: list[dict] | None = None

    def batches(self) -> list[dict]:
        """The batches, built at the first evaluation (the prefix cache filled for the val rows then)."""
        if self._batches is None:
            if self.prefix is not None:
                self.prefix.attach(self.rows)
            shape = pack if self.packed else collate
            self._batches = [shape([self.rows[i] for i in batch], self.pad_id) for batch in self.order]
        return self._batches

    def loss(self, model, runtime) -> float:
        """Mean loss per target token over the whole set (not a mean of batch means, which would
        weigh the few rows of the last batch as much as a full one). Every process runs every
        batch, so sharded models (FSDP) see the same forward passes on all ranks."""
        total, count = 0.0, 0
        batches = self.batches()  # before the cut: a first fill runs the bottom layers
        top = top_only(model, self.prefix.count) if self.prefix is not None else contextlib.nullcontext()
        with torch.no_grad(), runtime.autocast(), top:
            for batch in batches:
                batch = runtime.to_device(batch)
                tokens = int((batch["labels"][:, 1:] != IGNORE).sum())
                total += float(judgment_loss(model, batch)) * tokens
                count += tokens
        return total / count if count else float("nan")
