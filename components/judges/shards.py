"""Judging in shards, for workers in other processes or on other machines.

flows/sharded_judging.py maps ``judge_shard`` over Dask workers through Prefect; nothing here
imports Prefect, so the same functions serve any other scheduler. A shard is a contiguous run of
items that never separates the two orders of one pair (the judge batches them together), so merging
is concatenation -- checked, because a shard that lost or reordered an item would otherwise shift
every later judgment onto the wrong pair. Workers receive the judge unloaded (settings, no weights)
and load the model once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

from components.config import Params
from components.judges.base import JudgeItem
from components.judges.factory import hf_judge, make_judge
from components.judges.hf import HFJudge
from components.models import load_causal_lm
from components.schemas import Judgment


def build_judge(params: Params, judge: str = "finetuned", model_path: Path | str | None = None) -> HFJudge:
    """Pipeline judge ``judge`` (finetuned / base), or with ``model_path`` a judge called ``judge`` on that
    model folder, judging as params.yaml says. Unloaded, with absolute paths, so it pickles small and a
    worker started elsewhere finds the same files."""
    built = hf_judge(judge, params, model_path) if model_path else make_judge(judge, params)
    return replace(
        built,
        model_path=Path(built.model_path).resolve(),
        adapter=Path(built.adapter).resolve() if built.adapter else None,
        min_score_mass=params.judge.min_score_mass,
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


def judge_shard(judge: HFJudge, items: Sequence[JudgeItem]) -> list[Judgment]:
    """Runs on a worker: the judge's model, loaded once per process, judges one shard."""
    model, tokenizer = _loaded(str(judge.model_path), str(judge.adapter) if judge.adapter else None)
    return replace(judge, model=model, tokenizer=tokenizer).judge(items)


@functools.cache
def _loaded(model_path: str, adapter: str | None):
    return load_causal_lm(model_path, adapter)
