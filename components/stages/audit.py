"""Stage audit: every configured bias probe, for every pipeline judge, on the test split."""

from __future__ import annotations

from components import paths
from components.audit.base import Bootstrap
from components.audit.registry import make_probes
from components.audit.runner import run_probe
from components.config import Params
from components.io import read_jsonl, write_json
from components.judges.cache import judge_cached
from components.judges.factory import PIPELINE_JUDGES, cache_file, make_judge
from components.schemas import Pair


def run(params: Params, tracker) -> dict:
    cfg = params.audit
    pairs = read_jsonl(paths.split_file("test"), Pair)[: cfg.max_items]
    bootstrap = Bootstrap(cfg.bootstrap, cfg.seed)
    results, metrics = [], {"items": len(pairs)}
    for name in PIPELINE_JUDGES:
        judge = make_judge(name, params)
        cache = cache_file(name, params)
        for probe in make_probes(cfg):
            result = run_probe(probe, judge, pairs, bootstrap, lambda j, items: judge_cached(j, items, cache)[0])
            results.append(result.to_dict())
            metrics[f"{name}.{probe.name}.{result.metric}"] = result.value
            metrics[f"{name}.{probe.name}.flagged"] = int(result.flagged)
    write_json(paths.AUDIT / "results.json", results)
    tracker.artifact(paths.AUDIT / "results.json", "audit")
    return metrics
