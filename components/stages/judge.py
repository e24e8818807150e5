"""Stage judge: the fine-tuned judge and the untuned base model judge the test split in both orders,
and any human-labelled evaluation sets named in ``judge.human_eval`` the same way. The run records each
set it judged as an MLflow dataset (digest: the file's md5, as DVC keeps it).

With ``judge.dask_workers`` > 0 the judging is sharded over Dask workers (components.judges.shards),
each loading the model itself; this process keeps the cache and writes the same files, in the same
order, as when it judges alone."""

from __future__ import annotations

import time
from pathlib import Path

from components import paths
from components.config import Params
from components.io import file_md5, read_jsonl, write_jsonl
from components.judges.base import both_orders
from components.judges.cache import CHUNK, judge_cached
from components.judges.factory import PIPELINE_JUDGE_PARAMS, PIPELINE_JUDGES, cache_file, make_judge
from components.judges.workers import dask_client
from components.schemas import Pair
from components.stages.contract import Out, Stage
from components.subsets import spread

STAGE = Stage(
    name="judge",
    help="The fine-tuned and the base judge on the test split, both orders.",
    params=(
        *PIPELINE_JUDGE_PARAMS,
        "judge.human_eval",
        "judge.human_eval_max_pairs",
        "judge.dask_workers",
        "judge.dask_address",
    ),
    deps=(
        "data/base_model",
        "models/judge",
        "data/generated/test.jsonl",
        "components/judges",
        "components/subsets.py",
        "components/keyed_jsonl.py",
        "components/models.py",
        "components/progress.py",
        "components/schemas.py",
        "components/textgen.py",
    ),
    outs=(Out("data/judgments"),),
)


def run(params: Params, tracker) -> dict:
    test = read_jsonl(paths.split_file("test"), Pair)
    tracker.dataset(paths.split_file("test"), "test", "testing", file_md5(paths.split_file("test")))
    for path in params.judge.human_eval:
        tracker.dataset(path, paths.human_eval_name(path), "testing", file_md5(path))
    human = {
        path: spread(read_jsonl(path, Pair), params.judge.human_eval_max_pairs) for path in params.judge.human_eval
    }
    metrics: dict = {
        "test_pairs": len(test),
        **{f"human.{paths.human_eval_name(p)}.pairs": len(v) for p, v in human.items()},
    }
    workers = params.judge.dask_workers
    chunk = CHUNK * max(workers, 1)  # a round gives each worker what one process judges per round
    with dask_client(params.judge) as client:
        for name in PIPELINE_JUDGES:
            judge = on_workers(make_judge(name, params), client, workers)
            metrics.update(judge_set(judge, name, test, paths.judgments_file(name), chunk))
            for path, pairs in human.items():
                found = judge_set(judge, name, pairs, paths.human_judgments_file(path, name), chunk)
                metrics.update({f"human.{paths.human_eval_name(path)}.{key}": value for key, value in found.items()})
    return metrics


def on_workers(judge, client, shards: int):
    """``judge`` itself, or given a Dask ``client``, the same judge judging in ``shards`` parts on its workers."""
    if client is None:
        return judge
    from components.judges.shards import ShardedJudge  # torch: only when it judges

    return ShardedJudge(judge, client, shards)


def judge_set(judge, name: str, pairs: list[Pair], out: Path, chunk: int = CHUNK) -> dict:
    """Judge ``pairs`` in both orders (resuming from the judge's cache), write the judgments to ``out``."""
    started, truncated_before = time.perf_counter(), getattr(judge, "truncated", 0)
    judgments, reused = judge_cached(judge, both_orders(pairs), cache_file(name), chunk)
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
