"""The validation pass on the frozen layers' cached outputs: judging runs the top layers only.

The frozen-prefix cache (components/training/frozen.py) trains the top N layers on the bottom layers'
outputs, which never change. The val pass judged every val answer through all the layers at every eval
step -- about 70 s of a default run's finetune each time -- although only the top N layers had moved.
``TopLayersLM`` answers logprob mode's calls to a causal LM (components/judges/whole_rows.py) by looking
up each row's bottom-layer outputs, computed once and packed (a question's shared start once), and running
the top layers on them: the same logits as the whole model, to float rounding (tests/model/test_packing.py),
for N of its L layers' work. Any adapter merged into the top layers (components/training/agreement.py
merges it) is what the top layers compute with.
"""

from __future__ import annotations

import numpy as np
import torch

from components.judges.whole_rows import WholeRowsCausalLM
from components.training.collate import IGNORE
from components.training.frozen import FrozenPrefix, top_only
from components.training.packing import group_runs, layout, pack

MIN_SHARED = 16
"""Tokens rows must share at their start to be packed as one question."""


class TopLayersLM(WholeRowsCausalLM):
    """``model`` as logprob mode calls it, computing only its top ``count`` layers per call."""

    def __init__(self, model, count: int, budget: int = 512):  # about a question a row: frozen.py says why
        self.model, self.count, self.budget = model, count, budget
        self.prefix = FrozenPrefix(model, count, packed=True)
        self.device = next(model.parameters()).device

    def last_logits(self, rows: list[list[int]], keep: int) -> np.ndarray:
        entries = [
            {"input_ids": row, "labels": [IGNORE] * (len(row) - keep) + [0] * keep, "first_line": 0} for row in rows
        ]
        _group_by_shared_start(entries)
        self.prefix.attach(entries)
        logits = [None] * len(entries)
        for chunk in group_runs(entries, self.budget):
            for index, found in zip(chunk, self._run([entries[i] for i in chunk], keep), strict=True):
                logits[index] = found
        return torch.stack(logits).numpy()

    def _run(self, entries: list[dict], keep: int) -> list[torch.Tensor]:
        batch = pack(entries, 0)
        ends, at = {}, 0
        for piece in layout(entries):
            at += piece.end - piece.start
            if not piece.shared:
                ends[piece.row] = at
        columns = torch.tensor([ends[i] - keep + k for i in range(len(entries)) for k in range(keep)])
        with torch.inference_mode(), top_only(self.model, self.count):
            out = self.model(
                inputs_embeds=batch["hidden"].to(self.device),
                attention_mask=batch["attention_mask"].to(self.device),
                position_ids=batch["position_ids"].to(self.device),
                logits_to_keep=columns.to(self.device),
                use_cache=False,
            )
        return list(out.logits[0].float().cpu().reshape(len(entries), keep, -1))


def _group_by_shared_start(entries: list[dict]) -> None:
    """Give each entry a ``group``: rows that share at least ``MIN_SHARED`` leading tokens with the first
    row of their run, in token order (a pointwise judge's answers to one question)."""
    order = sorted(range(len(entries)), key=lambda i: entries[i]["input_ids"])
    leader = None
    for i in order:
        ids = entries[i]["input_ids"]
        if leader is None or _common(entries[leader]["input_ids"], ids) < MIN_SHARED:
            leader = i
        entries[i]["group"] = f"g{leader}"


def _common(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)
