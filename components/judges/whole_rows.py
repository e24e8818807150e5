"""Logprob mode on an engine that keeps no KV cache between calls (CTranslate2, and llama.cpp in the benchmark).

logprob's ``_Cached`` calls a causal LM with left-padded ``input_ids``, the mask of everything fed so far and
the cache it was handed back last time, and reads the last ``logits_to_keep`` positions' logits. An engine
that runs whole sequences answers that call by replaying each row: the "cache" is every row's tokens so far,
and a row is run as the tokens its mask keeps (so a token that ``hide_last`` masked is left out, as the torch
path's attention mask leaves it out). Subclasses say only how to get the last positions' logits of whole rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Rows:
    """What a "cache" is to such an engine: every row's tokens so far, padding included, column for column
    with the attention mask that ``_Cached`` keeps."""

    tokens: list[list[int]]

    def batch_repeat_interleave(self, times: int) -> None:
        self.tokens = [row for row in self.tokens for _ in range(times)]


@dataclass
class Output:
    logits: torch.Tensor
    cache: Rows


class WholeRowsCausalLM:
    """The call logprob mode makes of a causal LM, answered by running each row's visible tokens whole."""

    device = "cpu"
    reuses_cache = False  # logprob mode need not run a shared prompt start on its own first

    def __call__(self, input_ids, attention_mask, cache=None, logits_to_keep=1, **_ignored) -> Output:
        fed = input_ids.tolist()
        before = cache.tokens if cache is not None else [[] for _ in fed]
        rows = [old + new for old, new in zip(before, fed, strict=True)]
        kept = [
            [token for token, visible in zip(row, mask, strict=True) if visible]
            for row, mask in zip(rows, attention_mask.tolist(), strict=True)
        ]
        return Output(torch.from_numpy(self.last_logits(kept, logits_to_keep)), Rows(rows))

    def last_logits(self, rows: list[list[int]], keep: int) -> np.ndarray:
        """[rows, keep, vocab] logits predicting the token after each of every row's last ``keep`` positions."""
        raise NotImplementedError
