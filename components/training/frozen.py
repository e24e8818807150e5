"""Train the top N decoder layers on cached inputs: the frozen layers below run once per example.

With LoRA on the top N of L layers, the bottom L - N layers never change, so their output for a given
sequence is the same at every step of every epoch. Computing it once and feeding it to the top layers
(``inputs_embeds`` through a model whose layer list is cut to its top N) makes a step cost N layers'
forward and backward instead of L layers' forward and N layers' backward: with N = 4 of SmolLM2's 30,
about a sixth. That buys epochs, and epochs are what a small judge needs: a linear probe on frozen
SmolLM2 features reads answer quality well (docs/training.md), while a few hundred full steps barely
move the score tokens.

The cut model computes exactly what the whole model does for right-padded rows: positions are the
same (0..n-1), the causal mask is the same, and nothing above layer L - N sees the token embeddings.
``tests/model/test_frozen_prefix.py`` checks the loss and the gradients against the whole model's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from components.progress import track
from components.training.packing import block_mask, group_runs, layout


def unwrapped(model):
    """The transformers model under any peft or DDP wrapping."""
    inner = getattr(model, "module", model)
    return inner.get_base_model() if hasattr(inner, "get_base_model") else inner


def decoder(model):
    """The decoder body (its ``layers`` and final ``norm``), under any peft or DDP wrapping."""
    return unwrapped(model).get_decoder()


def top_only(model, count: int):
    """The model with only its top ``count`` decoder layers for the duration: fed ``inputs_embeds``
    (cached inputs of the first of them), it runs those layers, the final norm and the head."""
    body = decoder(model)
    return _cut(body, slice(len(body.layers) - count, None), body.norm)


class Bf16Weights:
    """bf16 copies of the frozen matrices a top-``count`` step multiplies by, swapped in for the step.

    Under bf16 autocast every linear layer casts its fp32 weight to bf16 on each call, forward and
    backward: for the top 4 layers, skipping that casting made a step 1.09-1.28x faster on a CPU
    (benchmarks/lora_step.py).
    The copies are made once, with the same rounding autocast uses, so a step computes exactly what it
    did; the fp32 weights come back after the step, for evaluation and for anything outside autocast.
    Only for steps under bf16 autocast: without it, bf16 weights would meet fp32 inputs."""

    def __init__(self, model, count: int):
        body = decoder(model)
        modules = [*list(body.layers)[len(body.layers) - count :], unwrapped(model).get_output_embeddings()]
        frozen = {id(p): p for module in modules for p in module.parameters() if not p.requires_grad and p.dim() == 2}
        self._copies = [(p, p.data.to(torch.bfloat16)) for p in frozen.values()]

    @contextmanager
    def swapped(self) -> Iterator[None]:
        kept = [p.data for p, _ in self._copies]
        for p, copy in self._copies:
            p.data = copy
        try:
            yield
        finally:
            for (p, _), data in zip(self._copies, kept, strict=True):
                p.data = data


class FrozenPrefix:
    """Inputs of the first of the top ``count`` layers, by sequence, computed once on first use.

    ``packed``: the rows are run as packed rows (components/training/packing.py), so a question's shared
    start goes through the frozen layers once for all of its answers instead of once for each.
    ``progress``: the name of a progress line for the first fill (minutes on SmolLM2; None: silent)."""

    def __init__(
        self,
        model,
        count: int,
        batch_size: int = 16,
        dtype: torch.dtype = torch.float32,
        packed: bool = False,
        progress: str | None = None,
    ):
        self.model, self.count, self.batch_size, self.dtype, self.packed = model, count, batch_size, dtype, packed
        self.progress = progress
        self._cache: dict[tuple[int, ...], torch.Tensor] = {}
        self.computed_tokens = 0

    def attach(self, rows: list[dict]) -> None:
        """Give every encoded row its ``hidden`` states ([tokens, hidden]), computing the missing ones."""
        missing = list(
            {tuple(row["input_ids"]): row for row in rows if tuple(row["input_ids"]) not in self._cache}.values()
        )
        if self.packed:
            chunks = [[missing[i] for i in run] for run in group_runs(missing, 512)]  # about a question a row
        else:
            missing.sort(key=lambda row: len(row["input_ids"]))
            chunks = [missing[start : start + self.batch_size] for start in range(0, len(missing), self.batch_size)]
        compute = self._compute_one_packed if self.packed else self._compute
        for chunk in track(chunks, self.progress if missing else None, total=len(missing), unit="examples", count=len):
            compute(chunk)
        for row in rows:
            row["hidden"] = self._cache[tuple(row["input_ids"])]

    def _compute(self, rows: list[dict]) -> None:
        sequences = [tuple(row["input_ids"]) for row in rows]
        width = max(len(s) for s in sequences)
        ids = torch.zeros((len(sequences), width), dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for i, sequence in enumerate(sequences):
            ids[i, : len(sequence)] = torch.tensor(sequence)
            mask[i, : len(sequence)] = 1
        states = self._bottom(ids=ids, attention_mask=mask)
        for i, sequence in enumerate(sequences):
            self._cache[sequence] = states[i, : len(sequence)].to("cpu", self.dtype).clone()
        self.computed_tokens += sum(len(s) for s in sequences)

    def _compute_one_packed(self, rows: list[dict]) -> None:
        """Whole groups (questions), packed into one row (``group_runs`` cut them to about 512 unpacked tokens)."""
        pieces = layout(rows)
        ids = torch.tensor([[t for p in pieces for t in rows[p.row]["input_ids"][p.start : p.end]]])
        positions = torch.tensor([[t for p in pieces for t in range(p.start, p.end)]])
        states = self._bottom(ids=ids, attention_mask=block_mask(pieces)[None, None], position_ids=positions)[0]
        offsets, at = {}, 0
        for piece in pieces:
            offsets[(piece.row, piece.shared)] = (at, piece)
            at += piece.end - piece.start
        shared = {piece.block: offsets[(piece.row, True)][0] for piece in pieces if piece.shared}
        for piece in pieces:
            if piece.shared:
                continue
            own, _ = offsets[(piece.row, False)]
            parts = [states[shared[piece.block] : shared[piece.block] + piece.start]] if piece.start else []
            parts.append(states[own : own + piece.end - piece.start])
            self._cache[tuple(rows[piece.row]["input_ids"])] = torch.cat(parts).to("cpu", self.dtype).clone()
        self.computed_tokens += ids.shape[1]

    def _bottom(self, ids, attention_mask, position_ids=None) -> torch.Tensor:
        """The bottom layers' output (without the final norm: the first top layer's input)."""
        body = decoder(self.model)
        device = next(body.parameters()).device
        was_training = body.training
        body.eval()
        extra = {} if position_ids is None else {"position_ids": position_ids.to(device)}
        with torch.no_grad(), _cut(body, slice(len(body.layers) - self.count), torch.nn.Identity()):
            states = body(
                input_ids=ids.to(device), attention_mask=attention_mask.to(device), use_cache=False, **extra
            ).last_hidden_state
        body.train(was_training)
        return states


@contextmanager
def _cut(body, layers: slice, norm) -> Iterator[None]:
    """The decoder ``body`` with only ``layers`` of its layer list and ``norm`` as its final norm, restored after."""
    every, kept_norm = body.layers, body.norm
    body.layers, body.norm = torch.nn.ModuleList(list(every)[layers]), norm
    try:
        yield
    finally:
        body.layers, body.norm = every, kept_norm
