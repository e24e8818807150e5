"""Stage judge: the fine-tuned judge and the untuned base model judge the test split in both orders,
and any human-labelled evaluation sets named in ``judge.human_eval`` the same way."""

from __future__ import annotations

import time
from pathlib import Path

from components import paths
from components.config import Params
from components.io import read_jsonl, write_jsonl
from components.judges.base import both_orders
from components.judges.cache import judge_cached
from components.judges.factory import PIPELINE_JUDGE_PARAMS, PIPELINE_JUDGES, cache_file, make_judge
from components.schemas import Pair
from components.stages.contract import Out, Stage
from components.subsets import spread

STAGE = Stage(
    name="judge",
    help="The fine-tuned and the base judge on the test split, both orders.",
    params=(*PIPELINE_JUDGE_PARAMS, "judge.human_eval", "judge.human_eval_max_pairs"),
    deps=(
        "data/base_model",
        "models/judge",
        "data/generated/test.jsonl",
        "components/judges",
        "components/subsets.py",
        "components/keyed_jsonl.py",
        "components/models.py",
        "components/schemas.py",
        "components/textgen.py",
    ),
    outs=(Out("data/judgments"),),
)


def run(params: Params, tracker) -> dict:
    test = read_jsonl(paths.split_file("test"), Pair)
    human = {
        path: spread(read_jsonl(path, Pair), params.judge.human_eval_max_pairs) for path in params.judge.human_eval
    }
    metrics: dict = {
        "test_pairs": len(test),
        **{f"human.{paths.human_eval_name(p)}.pairs": len(v) for p, v in human.items()},
    }
    for name in PIPELINE_JUDGES:
        judge = make_judge(name, params)
        metrics.update(judge_set(judge, name, test, paths.judgments_file(name)))
        for path, pairs in human.items():
            found = judge_set(judge, name, pairs, paths.human_judgments_file(path, name))
            metrics.update({f"human.{paths.human_eval_name(path)}.{key}": value for key, value in found.items()})
    return metrics


def judge_set(judge, name: str, pairs: list[Pair], out: Path) -> dict:
    """Judge ``pairs`` in both orders (resuming from the judge's cache), write the judgments to ``out``."""
    started, truncated_before = time.perf_counter(), getattr(judge, "truncated", 0)
    judgments, reused = judge_cached(judge, both_orders(pairs), cache_file(name))
    seconds = time.perf_counter() - started
    write_jsonl(out, judgments)
    fresh = len(judgments) - reused
    return {
        f"{name}.judgments": len(judgments),
        f"{name}.from_cache": reused,
        f"{name}.parse_failures": sum(j.failed for j in judgments),
        f"{name}.truncated_prompts": getattr(judge, "truncated", 0) - truncated_before,
        f"{name}.judgments_per_s": round(fresh / seconds, 2) if fresh else 0.0,
    }
