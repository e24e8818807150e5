"""`judgeops evaluate`: any judge on any labelled set, in both orders, with the same figures (and CIs) for
every set and one MLflow run per judge and set, so the UI compares them side by side."""

from __future__ import annotations

import json
import shutil

from mlflow import MlflowClient
from typer.testing import CliRunner

from components.cli import app
from components.io import write_jsonl
from components.schemas import FIRST
from tests.conftest import REPO
from tests.factories import audit_pairs

runner = CliRunner()


def labelled_set(path: str, n: int = 36) -> list:
    """Pairs with two subsets (as LLMBar's natural and adversarial), a third of them ties."""
    pairs = [p.model_copy(update={"category": ("natural", "adversarial")[i % 2]}) for i, p in enumerate(audit_pairs(n))]
    write_jsonl(path, pairs)
    return pairs


def test_an_oracle_agrees_everywhere_and_a_judge_that_always_says_first_is_caught(mlflow_store):
    shutil.copy(REPO / "params.yaml", "params.yaml")
    pairs = labelled_set("llmbar.jsonl")

    fair = runner.invoke(app, ["evaluate", "--judge", "scripted:oracle", "--data", "llmbar.jsonl", "--out", "a"])
    assert fair.exit_code == 0, fair.output
    figures = json.loads((mlflow_store / "a" / "figures.json").read_text())
    assert figures["pairs"] == 36 and figures["agreement"] == figures["both_orders"] == 1.0
    assert figures["positional_agreement"] == 1.0 and figures["parse_failure_rate"] == 0.0
    assert figures["subset.natural.pairs"] == figures["subset.adversarial.pairs"] == 18
    assert "| agreement | 1.000 |" in fair.output and "| adversarial | 18 |" in fair.output

    biased = runner.invoke(app, ["evaluate", "--judge", "scripted:always_first", "--data", "llmbar.jsonl"])
    assert biased.exit_code == 0, biased.output
    figures = json.loads((mlflow_store / "eval-results" / "figures.json").read_text())
    firsts = sum(p.verdict == FIRST for p in pairs) / len(pairs)
    assert figures["agreement"] == firsts and figures["positional_agreement"] == 0.0
    assert figures["both_orders"] == 0.0, "naming the first answer in both orders is never right in both"
    assert figures["agreement_low"] <= figures["agreement"] <= figures["agreement_high"]

    runs = MlflowClient().search_runs(
        [MlflowClient().get_experiment_by_name("judgeops").experiment_id], "params.set = 'llmbar'"
    )
    by_name = {run.info.run_name: run for run in runs}
    assert set(by_name) == {"llmbar · scripted:oracle", "llmbar · scripted:always_first"}
    oracle, first = by_name["llmbar · scripted:oracle"], by_name["llmbar · scripted:always_first"]
    assert oracle.data.metrics.keys() == first.data.metrics.keys(), "the same names for every judge and set"
    assert oracle.data.metrics["agreement"] == 1.0 and first.data.metrics["positional_agreement"] == 0.0


def test_a_missing_file_is_named(mlflow_store):
    result = runner.invoke(app, ["evaluate", "--judge", "scripted:oracle", "--data", "nowhere.jsonl"])
    assert result.exit_code != 0 and "nowhere.jsonl" in str(result.exception)
