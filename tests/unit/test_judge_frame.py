"""The pyfunc judge's DataFrame in and out (components/judge_model.py), with a judge that needs no model: a
failed judgment is a null verdict with its reason, never a tie; optional columns may be missing or NaN."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from components.judge_model import judge_frame
from components.judges.base import to_judgment
from components.judges.parsers import Parsed


class Recorder:
    """Judges "4" first, fails on anything else; keeps the pairs it was shown."""

    def __init__(self):
        self.shown = []

    def judge(self, items):
        self.shown += [item.shown for item in items]
        return [
            to_judgment(item, "fake", "pointwise", "9 | 2", Parsed(score1=9.0, score2=2.0, verdict=1))
            if item.shown.answer1 == "4"
            else to_judgment(item, "fake", "pointwise", "The", Parsed(failure="no score token is likely"))
            for item in items
        ]


def test_rows_become_pairs_and_a_failure_is_null_with_its_reason():
    judge = Recorder()
    frame = pd.DataFrame(
        {
            "instruction": ["What is 2 + 2?", "What is 3 + 3?"],
            "input": [float("nan"), "show your work"],
            "answer1": ["4", "7"],
            "answer2": ["5", "6"],
        }
    )
    out = judge_frame(judge, frame)
    assert list(out.columns) == ["verdict", "score1", "score2", "raw", "failure"]
    assert out.iloc[0].to_dict() == {"verdict": 1, "score1": 9.0, "score2": 2.0, "raw": "9 | 2", "failure": ""}
    failed = out.iloc[1].to_dict()
    assert failed["verdict"] is None and failed["score1"] is None and failed["score2"] is None
    assert failed["failure"] == "no score token is likely"
    assert [(p.input, p.reference) for p in judge.shown] == [("", ""), ("show your work", "")]
    assert out.to_json(orient="records").count("null") == 3, "JSON answers carry null, not NaN"
    assert not any(isinstance(v, float) and math.isnan(v) for v in out["verdict"])


def test_a_missing_required_column_is_named():
    with pytest.raises(ValueError, match="missing: answer2"):
        judge_frame(Recorder(), pd.DataFrame({"instruction": ["q"], "answer1": ["a"]}))


def test_an_empty_frame_gives_an_empty_answer_with_the_columns():
    out = judge_frame(Recorder(), pd.DataFrame(columns=["instruction", "answer1", "answer2"]))
    assert len(out) == 0 and list(out.columns) == ["verdict", "score1", "score2", "raw", "failure"]
