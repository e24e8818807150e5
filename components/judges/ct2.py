"""The int8 CPU engine: a judge converted to CTranslate2 and read by logprob mode's own rules.

``judge.engine: ct2`` converts the judge once (the base model with its adapter merged, quantised to
``judge.ct2_compute_type``) into ``data/cache/ct2/<weights fingerprint>-<type>-<ctranslate2 version>``,
and hands logprob mode a ``Ct2CausalLM``: an object that answers the one call logprob's ``_Cached`` makes
of a transformers model (components/judges/whole_rows.py), so the prompts, shared-start batching, score
reading and failure rules are the torch path's code, not a copy. CTranslate2 keeps no cache between
calls, so a feed after the first runs each row's whole sequence again; the pointwise and pandalm readers
feed once, the judgelm reader twice.

torch stays the reference path: the engine changes numerics (int8 weights), so its judgments are cached
under their own identity, and benchmarks/judge_throughput.py measures both on the same items.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from components import paths
from components.judges.whole_rows import WholeRowsCausalLM
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


class Ct2CausalLM(WholeRowsCausalLM):
    """A CTranslate2 generator behind the call logprob mode makes of a causal LM (components/judges/whole_rows.py)."""

    def __init__(self, generator):
        self.generator = generator

    def last_logits(self, rows: list[list[int]], keep: int) -> np.ndarray:
        logits = np.asarray(self.generator.forward_batch(rows))  # [rows, longest, vocab]: CTranslate2 pads on its own
        return np.stack([logits[i, len(row) - keep : len(row)] for i, row in enumerate(rows)]).copy()
