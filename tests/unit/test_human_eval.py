"""Human-labelled evaluation sets (judge.human_eval): judged in both orders, scored against the human majority."""

from __future__ import annotations

import pytest

from components import paths
from components.config import load_params
from components.io import read_jsonl, write_jsonl
from components.judges.scripted import AlwaysFirst, Oracle
from components.reporting.markdown import human_section
from components.schemas import Judgment
from components.stages.judge import judge_set
from components.stages.report import human_evaluations
from tests.conftest import REPO
from tests.factories import arithmetic_pairs


@pytest.fixture
def human_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pairs = [
        p.model_copy(update={"teacher": "human-majority", "annotators": [p.verdict] * 3}) for p in arithmetic_pairs(9)
    ]
    write_jsonl(tmp_path / "panda.jsonl", pairs)
    params = load_params(REPO / "params.yaml")
    judge = params.judge.model_copy(update={"human_eval": ["panda.jsonl"], "human_eval_max_pairs": 6})
    report = params.report.model_copy(update={"bootstrap": 50})
    return params.model_copy(update={"judge": judge, "report": report}), pairs


def test_each_pipeline_judge_is_scored_against_the_human_majority(human_set):
    params, pairs = human_set
    for name, judge in (("finetuned", Oracle()), ("base", AlwaysFirst())):
        chosen = [pairs[i * 9 // 6] for i in range(6)]  # what spread(pairs, 6) picks
        found = judge_set(judge, name, chosen, paths.human_judgments_file("panda.jsonl", name))
        assert found[f"{name}.judgments"] == 12 and found[f"{name}.parse_failures"] == 0
    assert len(read_jsonl(paths.human_judgments_file("panda.jsonl", "base"), Judgment)) == 12
    evaluated = human_evaluations(params)["panda"]
    assert evaluated["finetuned"]["metrics"]["accuracy"] == 1.0
    assert evaluated["finetuned"]["consistency"]["consistency"] == 1.0
    assert evaluated["base"]["consistency"]["consistency"] < 1.0
    text = human_section({"panda": evaluated})
    assert "| panda | finetuned | 6 | 1.000" in text and "human majority" in text


def test_the_report_says_how_to_add_a_human_set_when_none_is_named():
    assert "judgeops import pandalm" in human_section({})
