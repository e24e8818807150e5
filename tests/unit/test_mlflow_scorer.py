"""The judge as a pairwise scorer for mlflow.genai.evaluate, on a stand-in judge model: the output's
preference over the baseline, an unreadable judgment as an error (never a tie), and evaluate offline."""

from __future__ import annotations

import pandas as pd
import pytest

from components.mlflow_scorer import pair_row, pairwise_scorer


class ByReference:
    """Stands in for the pyfunc judge: prefers the answer equal to the reference, fails without one."""

    def __init__(self):
        self.frames = []

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        self.frames.append(frame)
        rows = []
        for r in frame.itertuples():
            if not r.reference:
                rows.append({"verdict": None, "score1": None, "score2": None, "raw": "The", "failure": "no score"})
                continue
            verdict = 0 if r.answer1 == r.answer2 else 1 if r.answer1 == r.reference else 2
            rows.append({"verdict": verdict, "score1": 9.0, "score2": 2.0, "raw": "9 2", "failure": ""})
        return pd.DataFrame(rows, dtype=object)


@pytest.mark.parametrize(
    ("outputs", "baseline", "value"), [("4", "5", 1.0), ("5", "4", 0.0), ({"response": "4"}, "4", 0.5)]
)
def test_the_value_is_the_outputs_preference_over_the_baseline(outputs, baseline, value):
    model = ByReference()
    feedback = pairwise_scorer(model)(
        inputs={"question": "What is 2 + 2?"}, outputs=outputs, expectations={"baseline": baseline, "reference": "4"}
    )
    assert feedback.value == value and feedback.error is None and "verdict" in feedback.rationale
    (frame,) = model.frames
    assert frame.iloc[0].to_dict() == {
        "instruction": "What is 2 + 2?",
        "input": "",
        "reference": "4",
        "answer1": outputs if isinstance(outputs, str) else outputs["response"],
        "answer2": baseline,
    }


def test_an_unreadable_judgment_is_an_error_not_a_tie():
    feedback = pairwise_scorer(ByReference())(inputs="What is 2 + 2?", outputs="4", expectations={"baseline": "5"})
    assert feedback.value is None and "no score" in feedback.error.error_message


def test_a_row_without_a_baseline_or_a_question_is_refused():
    with pytest.raises(ValueError, match="baseline"):
        pair_row("What is 2 + 2?", "4", {"reference": "4"})
    with pytest.raises(ValueError, match="instruction, question, request"):
        pair_row({"prompt": "What is 2 + 2?"}, "4", {"baseline": "5"})


def test_mlflow_genai_evaluate_runs_it_offline(tmp_path, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    # an experiment of this store, not the id an earlier test left active in another; restored after the test
    monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
    mlflow.set_experiment("scorer")
    rows = [
        {"inputs": {"question": "What is 2 + 2?"}, "outputs": "4", "expectations": {"baseline": "5", "reference": "4"}},
        {"inputs": {"question": "What is 3 + 3?"}, "outputs": "7", "expectations": {"baseline": "6", "reference": "6"}},
    ]
    result = mlflow.genai.evaluate(data=rows, scorers=[pairwise_scorer(ByReference())])
    assert result.metrics["judgeops_pairwise/mean"] == pytest.approx(0.5)
