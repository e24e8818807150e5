"""The registered judge as a pairwise scorer for MLflow's GenAI evaluation (``mlflow.genai.evaluate``).

Why: a team that evaluates an app with MLflow can ask our judge whether the app's answer beats a baseline
answer, beside MLflow's own scorers, without running judgeops. The scorer loads the pyfunc judge
(components/judge_model.py) once and judges one row at a time:

- ``inputs``: the question, a string or a dict with ``instruction`` (or ``question`` / ``request``) and
  optionally ``input``;
- ``outputs``: the app's answer, a string or a dict with ``response``;
- ``expectations``: ``baseline`` (the answer to beat, required) and optionally ``reference`` (or
  ``expected_response``), the reference answer the judge checks both against.

The feedback's value is the output's preference over the baseline: 1.0 better, 0.5 tie, 0.0 worse; its
rationale states the verdict and both scores. A judgment the judge could not read is an error on the
feedback, never a tie. Usage::

    from components.mlflow_scorer import pairwise_scorer

    mlflow.genai.evaluate(data=rows, scorers=[pairwise_scorer("models:/judge@champion")])
"""

from __future__ import annotations

from mlflow.entities import AssessmentSource, Feedback
from mlflow.genai.scorers import scorer

NAME = "judgeops_pairwise"
PREFERENCE = {1: 1.0, 0: 0.5, 2: 0.0}  # the judge's verdict (answer1 = the output) -> the output's preference


def pairwise_scorer(model="models:/judge@champion", name: str = NAME):
    """A scorer judging each row's output against its ``expectations["baseline"]`` with ``model``: a model
    URI (loaded on first use) or an already loaded pyfunc model."""
    loaded = {}
    source = AssessmentSource(source_type="LLM_JUDGE", source_id=model if isinstance(model, str) else name)

    def judge():
        if "model" not in loaded:
            if isinstance(model, str):
                import mlflow.pyfunc

                loaded["model"] = mlflow.pyfunc.load_model(model)
            else:
                loaded["model"] = model
        return loaded["model"]

    def judgeops_pairwise(inputs, outputs, expectations) -> Feedback:
        import pandas as pd

        row = pair_row(inputs, outputs, expectations)
        verdict = judge().predict(pd.DataFrame([row])).iloc[0]
        if verdict["verdict"] is None or verdict["verdict"] != verdict["verdict"]:
            failure = f"the judge could not judge this pair: {verdict['failure']}"
            return Feedback(name=name, error=failure, source=source)
        rationale = (
            f"verdict {int(verdict['verdict'])} (0 tie, 1 the output, 2 the baseline); "
            f"scores {verdict['score1']:.2f} (output) and {verdict['score2']:.2f} (baseline)"
        )
        return Feedback(name=name, value=PREFERENCE[int(verdict["verdict"])], rationale=rationale, source=source)

    return scorer(judgeops_pairwise, name=name)


def pair_row(inputs, outputs, expectations) -> dict:
    """The judge's input row for one evaluation row (the output as answer1, the baseline as answer2)."""
    expectations = expectations or {}
    if "baseline" not in expectations:
        raise ValueError("the pairwise judge needs expectations['baseline']: the answer the output is compared with")
    question = inputs if isinstance(inputs, str) else _first(inputs, "instruction", "question", "request")
    answer = outputs if isinstance(outputs, str) else _first(outputs, "response")
    return {
        "instruction": question,
        "input": "" if isinstance(inputs, str) else str(inputs.get("input") or ""),
        "reference": str(expectations.get("reference") or expectations.get("expected_response") or ""),
        "answer1": answer,
        "answer2": str(expectations["baseline"]),
    }


def _first(record, *keys: str) -> str:
    for key in keys:
        if isinstance(record, dict) and record.get(key):
            return str(record[key])
    raise ValueError(f"expected a string or a dict with one of {', '.join(keys)}, got {record!r}")
