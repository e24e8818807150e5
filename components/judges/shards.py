"""Judging in shards on Dask workers: how the judge stage runs when ``judge.dask_workers`` > 0.

A shard is a contiguous run of items that never separates the two orders of one pair (the judge batches
them together), so merging is concatenation -- checked, because a shard that lost or reordered an item
would otherwise shift every later judgment onto the wrong pair. Workers receive the judge unloaded
(settings and absolute model paths, no weights) and load the model once per process and set of weights
(by fingerprint, on the judge's engine: torch or ct2); the judgments
come back to the stage's process, which alone writes the cache and the outputs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

from components.judges.base import JudgeItem
from components.judges.ct2 import load_ct2
from components.judges.hf import HFJudge
from components.models import load_causal_lm, weights_fingerprint
from components.schemas import Judgment


@dataclass
class ShardedJudge:
    """``local``'s judging, spread over the workers of the Dask ``client`` in ``shards`` parts per call.
    To the judgment cache it is ``local``: the same name, identity and failure rule, so the same keys,
    and a run resumes from a one-process run's cache and the other way round."""

    local: HFJudge
    client: object  # distributed.Client
    shards: int
    truncated: int = field(default=0, init=False)

    def __post_init__(self):
        self.local = portable(self.local)
        self.name, self.template = self.local.name, self.local.template
        self.failures_repeat = self.local.failures_repeat

    def cache_identity(self) -> dict:
        return self.local.cache_identity()

    def sent(self, item: JudgeItem, template: str | None = None) -> list[str]:
        return self.local.sent(item, template)

    def judge(self, items: Sequence[JudgeItem]) -> list[Judgment]:
        parts = split(items, self.shards)
        weights = weights_fingerprint(self.local.model_path, self.local.adapter)
        futures = self.client.map(judge_shard, [self.local] * len(parts), parts, [weights] * len(parts), pure=False)
        judged = merge(parts, self.client.gather(futures))
        self.truncated += sum(j.truncated for j in judged)  # what the workers' judges counted
        return judged


def portable(judge: HFJudge) -> HFJudge:
    """``judge`` without weights and with absolute paths, so it pickles small and a worker started
    elsewhere (the same paths mounted) finds the same files."""
    return replace(
        judge,
        model_path=Path(judge.model_path).resolve(),
        adapter=Path(judge.adapter).resolve() if judge.adapter else None,
        model=None,
        tokenizer=None,
    )


def split(items: Sequence[JudgeItem], shards: int) -> list[list[JudgeItem]]:
    """At most ``shards`` contiguous shards of near-equal numbers of pairs; no empty shard."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    runs: list[list[JudgeItem]] = []
    for item in items:
        if runs and runs[-1][0].pair.id == item.pair.id:
            runs[-1].append(item)
        else:
            runs.append([item])
    count = min(shards, len(runs))
    bounds = [round(i * len(runs) / count) for i in range(count + 1)] if count else [0]
    return [[item for run in runs[start:stop] for item in run] for start, stop in pairwise(bounds)]


def merge(parts: Sequence[Sequence[JudgeItem]], results: Sequence[Sequence[Judgment]]) -> list[Judgment]:
    """The shards' judgments in input order, after checking each one answers its own items in order."""
    if len(parts) != len(results):
        raise ValueError(f"{len(parts)} shards sent, {len(results)} returned")
    merged: list[Judgment] = []
    for index, (items, judged) in enumerate(zip(parts, results, strict=True)):
        asked = [(item.pair.id, item.order) for item in items]
        answered = [(judgment.pair_id, judgment.order) for judgment in judged]
        if asked != answered:
            raise ValueError(f"shard {index} returned judgments that do not match its {len(items)} items")
        merged.extend(judged)
    return merged


def judge_shard(judge: HFJudge, items: Sequence[JudgeItem], weights: str | None = None) -> list[Judgment]:
    """Runs on a worker: the judge's model, loaded once per process and set of weights, judges one shard on
    the judge's engine. ``weights`` is the fingerprint the stage keyed its cache by: a worker that finds other
    files at those paths (another machine's copy, a retrain since) refuses rather than judge under that key."""
    model_path, adapter = str(judge.model_path), str(judge.adapter) if judge.adapter else None
    found = weights_fingerprint(model_path, adapter)
    if weights is not None and found != weights:
        raise RuntimeError(
            f"the worker sees other weights at {model_path} (+ {adapter}) than the judge's ({found} != {weights}): "
            "give the workers the same model files"
        )
    model, tokenizer = _loaded(found, model_path, adapter, judge.engine, judge.ct2_compute_type)
    return replace(judge, model=model, tokenizer=tokenizer).judge(items)


@functools.lru_cache(maxsize=2)
def _loaded(fingerprint: str, model_path: str, adapter: str | None, engine: str, compute_type: str):
    """The model for these weights (by fingerprint: a long-lived worker reloads after a retrain writes new
    files at the same paths) on this engine (ct2 judges on the converted model, as one process does)."""
    if engine == "ct2":
        return load_ct2(model_path, adapter, compute_type)
    return load_causal_lm(model_path, adapter)
