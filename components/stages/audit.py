"""Stage audit: every configured bias probe, for each pipeline judge that ``audit.judges`` names, on the test split."""

from __future__ import annotations

from components import paths
from components.audit.suite import audit_judge, render_markdown, summary_metrics
from components.config import Params
from components.io import read_jsonl, write_json, write_text
from components.judges.factory import cache_file, make_judge
from components.schemas import Pair


def run(params: Params, tracker) -> dict:
    pairs = read_jsonl(paths.split_file("test"), Pair)
    results = []
    for name in params.audit.judges:
        results += audit_judge(make_judge(name, params), pairs, params.audit, cache_file(name))
    write_json(paths.AUDIT / "results.json", [r.to_dict() for r in results])
    write_text(paths.AUDIT / "summary.md", render_markdown(results))
    tracker.artifact(paths.AUDIT, "audit")
    return {"items": min(len(pairs), params.audit.max_items), **summary_metrics(results)}
