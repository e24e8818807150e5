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
