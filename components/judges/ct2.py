"""The int8 CPU engine: a judge converted to CTranslate2 and read by logprob mode's own rules.

``judge.engine: ct2`` converts the judge once (the base model with its adapter merged, quantised to
``judge.ct2_compute_type``) into ``data/cache/ct2/<weights fingerprint>-<type>-<ctranslate2 version>``,
and hands logprob mode a ``Ct2CausalLM``: an object that answers the one call logprob's ``_Cached`` makes
of a transformers model, so the prompts, shared-start batching, score reading and failure rules are the
torch path's code, not a copy. CTranslate2 keeps no cache between calls, so a feed after the first runs
each row's whole sequence again; the pointwise and pandalm readers feed once, the judgelm reader twice.

torch stays the reference path: the engine changes numerics (int8 weights), so its judgments are cached
under their own identity, and benchmarks/judge_throughput.py measures both on the same items.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from components import paths
from components.vocabulary import CT2_COMPUTE_TYPES

CT2_CACHE = paths.DATA / "cache" / "ct2"


def load_ct2(model_path, adapter=None, compute_type: str = "int8", threads: int = 0):
    """(Ct2CausalLM, tokenizer) for the judge at ``model_path`` (+ ``adapter``), converted on first use."""
    import ctranslate2
    from transformers import AutoTokenizer

    folder = converted(model_path, adapter, compute_type)
    generator = ctranslate2.Generator(
        str(folder), device="cpu", compute_type=compute_type, intra_threads=threads or torch.get_num_threads()
    )
    return Ct2CausalLM(generator), AutoTokenizer.from_pretrained(model_path)


def converted(model_path, adapter, compute_type: str) -> Path:
    """The converted model's folder: made once per weights, type and converter version, written whole or not at all."""
    import ctranslate2

    from components.models import load_causal_lm, weights_fingerprint

    if compute_type not in CT2_COMPUTE_TYPES:
        raise ValueError(f"unknown ct2 compute type {compute_type!r}; known: {', '.join(CT2_COMPUTE_TYPES)}")
    folder = CT2_CACHE / f"{weights_fingerprint(model_path, adapter)}-{compute_type}-{ctranslate2.__version__}"
    if (folder / "model.bin").exists():
        return folder
    CT2_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CT2_CACHE) as scratch:
        merged = Path(scratch) / "merged"
        model, tokenizer = load_causal_lm(model_path, adapter)  # the adapter merged: CTranslate2 takes one model
        model.save_pretrained(merged, safe_serialization=True)
        tokenizer.save_pretrained(merged)
        out = Path(scratch) / "ct2"
        ctranslate2.converters.TransformersConverter(str(merged)).convert(str(out), quantization=compute_type)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(out, folder)  # same filesystem: the folder appears complete or not at all
    return folder


@dataclass
class _Rows:
    """What a "cache" is to this engine: every row's tokens so far, padding included, column for column
    with the attention mask that ``_Cached`` keeps."""

    tokens: list[list[int]]

    def batch_repeat_interleave(self, times: int) -> None:
        self.tokens = [row for row in self.tokens for _ in range(times)]


@dataclass
class _Output:
    logits: torch.Tensor
    cache: _Rows


class Ct2CausalLM:
    """A CTranslate2 generator behind the call logprob mode makes of a causal LM: left-padded ``input_ids``
    with the mask of everything fed so far, returning the last ``logits_to_keep`` positions' logits. Each
    row is run as the tokens its mask keeps (CTranslate2 pads on its own), so a token that ``hide_last``
    masked is left out, as the torch path's attention mask leaves it out."""

    device = "cpu"
    reuses_cache = False  # logprob mode need not run a shared prompt start on its own first

    def __init__(self, generator):
        self.generator = generator

    def __call__(self, input_ids, attention_mask, cache=None, logits_to_keep=1, **_ignored) -> _Output:
        fed = input_ids.tolist()
        before = cache.tokens if cache is not None else [[] for _ in fed]
        rows = [old + new for old, new in zip(before, fed, strict=True)]
        kept = [
            [token for token, visible in zip(row, mask, strict=True) if visible]
            for row, mask in zip(rows, attention_mask.tolist(), strict=True)
        ]
        logits = np.asarray(self.generator.forward_batch(kept))  # [rows, longest, vocab]
        last = np.stack([logits[i, len(row) - logits_to_keep : len(row)] for i, row in enumerate(kept)])
        return _Output(torch.from_numpy(last.copy()), _Rows(rows))
