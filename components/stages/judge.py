"""Stage judge: the fine-tuned judge and the untuned base model judge the test split in both orders."""

from __future__ import annotations

import time

from components import paths
from components.config import Params
from components.io import read_jsonl, write_jsonl
from components.judges.base import both_orders
from components.judges.cache import judge_cached
from components.judges.factory import PIPELINE_JUDGES, cache_file, make_judge
from components.schemas import Pair


def run(params: Params, tracker) -> dict:
    test = read_jsonl(paths.split_file("test"), Pair)
    items = both_orders(test)
    metrics: dict = {"test_pairs": len(test)}
    for name in PIPELINE_JUDGES:
        judge = make_judge(name, params)
        started = time.perf_counter()
        judgments, reused = judge_cached(judge, items, cache_file(name))
        seconds = time.perf_counter() - started
        write_jsonl(paths.judgments_file(name), judgments)
        fresh = len(judgments) - reused
        metrics.update(
            {
                f"{name}.judgments": len(judgments),
                f"{name}.from_cache": reused,
                f"{name}.parse_failures": sum(j.failed for j in judgments),
                f"{name}.truncated_prompts": judge.truncated,
                f"{name}.judgments_per_s": round(fresh / seconds, 2) if fresh else 0.0,
            }
        )
    return metrics
