"""Imported benchmark sets named in judge.human_eval: scored per judge and set, right in both orders, per subset."""

from __future__ import annotations

import json

from components import paths
from components.config import load_params
from components.data.importers import import_any
from components.io import write_jsonl
from components.judges.scripted import AlwaysFirst
from components.reporting.markdown import human_section
from components.stages.judge import PIPELINE_JUDGES, judge_set
from components.stages.report import human_evaluations
from tests.conftest import REPO


def _bias_rows(bias: str, count: int) -> list[dict]:
    return [
        {"bias": bias, "instruction": f"{bias} question {i}?", "response1": "right", "response2": "wrong", "label": 1}
        for i in range(count)
    ]


def _vote(question_id: int, judge: str, winner: str) -> dict:
    conversation = [{"role": "user", "content": f"Question {question_id}"}, {"role": "assistant", "content": "reply"}]
    return {
        "question_id": question_id,
        "model_a": "gpt-4",
        "model_b": "vicuna-13b",
        "winner": winner,
        "judge": judge,
        "conversation_a": conversation,
        "conversation_b": [conversation[0], {"role": "assistant", "content": "another reply"}],
        "turn": 1,
    }


def test_imported_sets_get_both_orders_and_per_subset_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "biasbench.json").write_text(
        json.dumps({"length bias": _bias_rows("length bias", 4), "concreteness": _bias_rows("concreteness", 3)})
    )
    votes = [_vote(81, "expert_0", "model_a"), _vote(82, "expert_0", "model_b"), _vote(82, "expert_1", "tie")]
    (tmp_path / "votes.jsonl").write_text("".join(json.dumps(v) + "\n" for v in votes))
    sets = {
        "evalbiasbench.jsonl": import_any("evalbiasbench", tmp_path / "biasbench.json").pairs,
        "mtbench.jsonl": import_any("mtbench_human", tmp_path / "votes.jsonl").pairs,
    }
    for name, pairs in sets.items():
        write_jsonl(tmp_path / name, pairs)
        for judge_name in PIPELINE_JUDGES:
            judge_set(AlwaysFirst(), judge_name, pairs, paths.human_judgments_file(name, judge_name))
    params = load_params(REPO / "params.yaml")
    judge = params.judge.model_copy(update={"human_eval": list(sets), "human_eval_max_pairs": None})
    params = params.model_copy(update={"judge": judge, "report": params.report.model_copy(update={"bootstrap": 20})})
    found = human_evaluations(params)
    first = found["evalbiasbench"][PIPELINE_JUDGES[0]]
    assert first["metrics"]["accuracy"] == 1.0  # the label is always the first answer ...
    assert first["cis"]["both_orders"]["value"] == 0.0  # ... so only both orders tells an always-first judge apart
    assert first["per_category_both"] == {"concreteness": (0.0, 3), "length bias": (0.0, 4)}
    mtbench = found["mtbench"][PIPELINE_JUDGES[0]]
    assert mtbench["unlabelled"] == 1 and mtbench["metrics"]["n"] == 1
    text = human_section(found)
    assert "both orders" in text and "Per subset" in text
    assert f"| evalbiasbench | length bias | {PIPELINE_JUDGES[0]} | 4 | 1.000 | 0.000 |" in text
    assert "mtbench: 1 pairs without a majority label left out" in text


def test_each_set_and_pipeline_judge_is_an_mlflow_run_with_the_evaluate_commands_metric_names(tmp_path, monkeypatch):
    """The report logs one run per set and judge, named and measured as `judgeops evaluate` logs any judge on any
    set, so MLflow's compare view puts the pipeline's judges beside a served or API judge on the same set."""
    import mlflow

    from components.benchmarks.figures import set_figures
    from components.io import read_jsonl
    from components.judges.scripted import Oracle
    from components.schemas import Judgment
    from components.stages.report import log_set_runs

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    (tmp_path / "biasbench.json").write_text(
        json.dumps({"length bias": _bias_rows("length bias", 6), "concreteness": _bias_rows("concreteness", 6)})
    )
    pairs = import_any("evalbiasbench", tmp_path / "biasbench.json").pairs
    renamed = {"category": "tips (cooking) & more"}  # a name MLflow would refuse in a metric: made safe, no crash
    pairs = [pair.model_copy(update=renamed) for pair in pairs[:2]] + pairs[2:]
    write_jsonl(tmp_path / "evalbiasbench.jsonl", pairs)
    judges = {"finetuned": Oracle(), "base": AlwaysFirst()}
    for name, judge in judges.items():
        judge_set(judge, name, pairs, paths.human_judgments_file("evalbiasbench.jsonl", name))
    params = load_params(REPO / "params.yaml")
    judge = params.judge.model_copy(update={"human_eval": ["evalbiasbench.jsonl"], "human_eval_max_pairs": None})
    params = params.model_copy(update={"judge": judge, "report": params.report.model_copy(update={"bootstrap": 20})})
    human = human_evaluations(params)
    log_set_runs(params, human)
    runs = {r.info.run_name: r for r in mlflow.search_runs(search_all_experiments=True, output_format="list")}
    assert set(runs) == {"evalbiasbench · finetuned", "evalbiasbench · base"}
    finetuned, base = runs["evalbiasbench · finetuned"].data, runs["evalbiasbench · base"].data
    assert finetuned.metrics["both_orders"] == 1.0 and base.metrics["both_orders"] == 0.0
    assert finetuned.params["set"] == "evalbiasbench" and finetuned.tags["judgeops.stage"] == "evaluate"
    judged = read_jsonl(paths.human_judgments_file("evalbiasbench.jsonl", "base"), Judgment)
    by_hand = set_figures(pairs, judged, 20, params.report.seed)  # what `judgeops evaluate` computes and logs
    assert base.metrics == {k: float(v) for k, v in by_hand.items() if v == v}  # NaN (kappa, one label) not logged
    assert "subset.tips _cooking_ _ more.agreement" in base.metrics
