"""Stage audit: every configured bias probe, for each pipeline judge that ``audit.judges`` names, on the test split."""

from __future__ import annotations

from components import paths
from components.config import Params
from components.io import file_md5, read_jsonl, write_json, write_text
from components.judges.factory import PIPELINE_JUDGE_PARAMS, cache_file, make_judge
from components.schemas import Pair
from components.stages.contract import Out, Stage

STAGE = Stage(
    name="audit",
    help="Bias probes on every pipeline judge.",
    params=("audit", *PIPELINE_JUDGE_PARAMS),
    deps=(
        "data/base_model",
        "models/judge",
        "data/generated/test.jsonl",
        "data/judgments",
        "components/audit",
        "components/judges",
        "components/keyed_jsonl.py",
        "components/metrics.py",
        "components/models.py",
        "components/progress.py",
        "components/schemas.py",
        "components/subsets.py",
        "components/textgen.py",
    ),
    outs=(Out("data/audit"),),
)


def run(params: Params, tracker) -> dict:
    from components.audit.suite import audit_judge, render_markdown, summary_metrics  # scipy: only when it runs

    pairs = read_jsonl(paths.split_file("test"), Pair)
    named = params.audit.evalbiasbench
    if named and "evalbiasbench" in params.audit.probes:  # a user's file, named by a param: its digest on record
        tracker.dataset(named, "evalbiasbench", "testing", file_md5(named))
    results = []
    for name in params.audit.judges:
        results += audit_judge(make_judge(name, params), pairs, params.audit, cache_file(name))
    write_json(paths.AUDIT / "results.json", [r.to_dict() for r in results])
    write_text(paths.AUDIT / "summary.md", render_markdown(results))
    tracker.artifact(paths.AUDIT, "audit")
    return {
        "items": len(pairs) if params.audit.max_items is None else min(len(pairs), params.audit.max_items),
        **summary_metrics(results),
    }
