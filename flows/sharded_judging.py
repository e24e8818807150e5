"""The judge-sharded flow: judge a pairs file in both orders, in shards on Dask workers, through Prefect.

JudgeLM's speed came from data parallelism (one model per device); this is the same idea for a
cluster. params.yaml's ``judge`` section picks the workers: ``dask_workers`` > 0 shards the items
into that many parts and maps them over a local cluster of that many worker processes, or over the
running scheduler at ``dask_address``; 0 judges everything as one shard in this process. The flow
only orchestrates: each task gets the judge's settings and its items, and the per-shard work
(loading the model once per worker, judging) is components.judges.shards.judge_shard. The
judgments come back merged in input order and are written to ``out``.

    python -m flows.sharded_judging data/generated/test.jsonl data/judgments/finetuned-sharded.jsonl

Workers on other machines must see the model folders at the same absolute paths.
"""

from __future__ import annotations

import argparse
import os

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner
from prefect_dask import DaskTaskRunner

from components.config import PARAMS_FILE, JudgeParams, load_params
from components.io import read_jsonl, write_jsonl
from components.judges.base import JudgeItem, both_orders
from components.judges.hf import HFJudge
from components.judges.shards import build_judge, judge_shard, merge, split
from components.schemas import Judgment, Pair


@task(name="judge-shard", task_run_name="judge shard {index}", cache_policy=NO_CACHE)
def judge_shard_task(judge: HFJudge, items: list[JudgeItem], index: int) -> list[Judgment]:
    return judge_shard(judge, items)


@flow(name="judge-sharded", log_prints=True)
def judge_sharded(
    pairs_file: str,
    out: str,
    judge: str = "finetuned",
    model_path: str | None = None,
    params_file: str = str(PARAMS_FILE),
) -> dict:
    """Judge ``pairs_file`` with pipeline judge ``judge`` (or, given ``model_path``, that model folder
    with the base judge's settings); returns counts. Run it through ``run_sharded`` so the task runner
    follows params.yaml."""
    params = load_params(params_file)
    hf_judge = build_judge(params, judge, model_path)
    items = both_orders(read_jsonl(pairs_file, Pair))
    parts = split(items, max(params.judge.dask_workers, 1))
    futures = judge_shard_task.map(unmapped(hf_judge), parts, index=range(len(parts)))
    judgments = merge(parts, [future.result() for future in futures])
    write_jsonl(out, judgments)
    summary = {"judgments": len(judgments), "shards": len(parts), "failures": sum(j.failed for j in judgments)}
    print(f"judge-sharded: {summary} -> {out}")
    return summary


def task_runner(cfg: JudgeParams) -> TaskRunner | None:
    """Dask on ``cfg.dask_address``, or a local cluster of ``cfg.dask_workers`` single-threaded worker
    processes whose torch threads share the cores; None (Prefect's default runner) when both are off."""
    if cfg.dask_address:
        return DaskTaskRunner(address=cfg.dask_address)
    if cfg.dask_workers:
        threads = str(max(1, (os.cpu_count() or 1) // cfg.dask_workers))
        cluster = {"n_workers": cfg.dask_workers, "processes": True, "threads_per_worker": 1}
        return DaskTaskRunner(cluster_kwargs=cluster | {"env": {"OMP_NUM_THREADS": threads}})
    return None


def run_sharded(
    pairs_file: str,
    out: str,
    judge: str = "finetuned",
    model_path: str | None = None,
    params_file: str = str(PARAMS_FILE),
) -> dict:
    """Run the flow with the task runner params.yaml's judge section asks for."""
    runner = task_runner(load_params(params_file).judge)
    sharded = judge_sharded.with_options(task_runner=runner) if runner else judge_sharded
    return sharded(pairs_file, out, judge, model_path, params_file)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Judge a pairs file in shards over Dask workers (params.yaml: judge.dask_*)."
    )
    parser.add_argument("pairs_file")
    parser.add_argument("out")
    parser.add_argument(
        "--judge", default="finetuned", help="finetuned or base; with --model-path, a name for the judge"
    )
    parser.add_argument("--model-path", help="a local model folder instead of a pipeline judge")
    parser.add_argument("--params", default=str(PARAMS_FILE))
    args = parser.parse_args()
    print(run_sharded(args.pairs_file, args.out, args.judge, args.model_path, args.params))


if __name__ == "__main__":
    main()
