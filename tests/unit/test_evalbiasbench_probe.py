"""The evalbiasbench probe: published bias traps judged in both orders, accuracy per bias type with CIs, beside
the probes built from the test split. Hand-written pairs in the published shape; scripted judges whose
bias is known say what the probe must find."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.audit.base import Bootstrap
from components.audit.evalbiasbench import EvalBiasBenchProbe
from components.audit.runner import run_probe
from components.audit.suite import audit_judge, render_markdown
from components.cli import app
from components.config import AuditParams
from components.data.importers.evalbiasbench import import_evalbiasbench
from components.io import write_jsonl
from components.judges.scripted import AlwaysFirst, Oracle, PrefersLonger
from tests.conftest import REPO
from tests.factories import audit_pairs

BOOTSTRAP = Bootstrap(resamples=200, seed=0)


@pytest.fixture
def traps(tmp_path: Path) -> str:
    """12 length-bias traps (the better answer is the short one) and 12 concreteness traps (the better answer
    is the longer, concrete one), written as `judgeops import evalbiasbench` writes them."""
    published = {
        "length bias": [
            {"instruction": f"What is {n} + {n}?", "response1": str(2 * n), "response2": f"It is {2 * n + 1}, surely."}
            for n in range(12)
        ],
        "concreteness": [
            {
                "instruction": f"Name a city in country {n}.",
                "response1": f"City {n} is a city there, on the coast.",
                "response2": "Some city.",
            }
            for n in range(12)
        ],
    }
    for bias, rows in published.items():
        for row in rows:
            row.update(bias=bias, label=1)
    source = tmp_path / "biasbench.json"
    source.write_text(json.dumps(published))
    out = tmp_path / "evalbiasbench.jsonl"
    write_jsonl(out, import_evalbiasbench(source).pairs)
    return str(out)


def probe_on(judge, path: str | None):
    return run_probe(EvalBiasBenchProbe(path=path), judge, audit_pairs(8), BOOTSTRAP)


def test_a_judge_that_sees_through_the_traps_is_right_in_both_orders_on_every_bias(traps):
    result = probe_on(Oracle(), traps)
    assert (result.metric, result.value, result.n, result.flagged) == ("accuracy_both_orders", 1.0, 24, False)
    assert {bias: f["both_orders"]["value"] for bias, f in result.details["by_bias"].items()} == {
        "concreteness": 1.0,
        "length bias": 1.0,
    }
    assert result.families == {"evalbiasbench": 24}, "the traps are judged, not the audit's test pairs"
    assert result.sample.startswith("EvalBiasBench: 24 pairs of ")


def test_the_first_answer_always_winning_scores_nothing_once_both_orders_count(traps):
    """Every published label is the first response: in the order given this judge would score 100%."""
    result = probe_on(AlwaysFirst(), traps)
    assert (result.details["original"], result.details["swapped"], result.value) == (1.0, 0.0, 0.0)
    assert result.flagged and result.high < 0.5
    assert "FLAGGED" in result.verdict and "falls for the published traps" in result.verdict
    assert len(result.flipped) == 5 and result.flipped[0]["original"] == 1 == result.flipped[0]["swapped"]


def test_accuracy_is_reported_per_bias_type_with_its_own_interval(traps):
    """A judge that prefers longer answers falls for every length trap and none of the concreteness ones."""
    result = probe_on(PrefersLonger(), traps)
    by_bias = result.details["by_bias"]
    assert by_bias["length bias"]["both_orders"] == {"value": 0.0, "low": 0.0, "high": 0.0}
    assert by_bias["concreteness"]["both_orders"]["value"] == 1.0
    assert by_bias["length bias"]["n"] == by_bias["concreteness"]["n"] == 12
    assert result.value == 0.5 and result.low < 0.5 < result.high and not result.flagged
    assert "length bias 0.0% of 12" in result.verdict and "concreteness 100.0% of 12" in result.verdict


def test_without_a_file_the_probe_is_skipped_and_says_which_setting_names_one():
    result = probe_on(Oracle(), None)
    assert result.skipped and "audit.evalbiasbench" in result.skipped and not result.flagged


def test_beside_the_test_split_probes_each_result_names_the_set_it_measured(traps):
    cfg = AuditParams(probes=["position", "evalbiasbench"], evalbiasbench=traps, bootstrap=200)
    results = audit_judge(Oracle(), audit_pairs(8), cfg)
    assert [r.probe for r in results] == ["position", "evalbiasbench"]
    assert results[0].sample.startswith("all ") and results[1].sample.startswith("EvalBiasBench")
    table = render_markdown(results)
    assert "Audited all " in table and "Audited EvalBiasBench: 24 pairs" in table


def test_the_audit_command_adds_the_probe_when_a_file_is_named(traps, tmp_path: Path, monkeypatch):
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    data = tmp_path / "pairs.jsonl"
    write_jsonl(data, audit_pairs(8))
    out = tmp_path / "audit"
    found = CliRunner().invoke(
        app,
        [
            "audit",
            "--judge",
            "scripted:always_first",
            "--data",
            str(data),
            "--probes",
            "position",
            "--evalbiasbench",
            traps,
            "--out",
            str(out),
        ],
    )
    assert found.exit_code == 0, found.output
    results = json.loads((out / "results.json").read_text())
    assert [r["probe"] for r in results] == ["position", "evalbiasbench"]
    assert results[1]["flagged"] and results[1]["n"] == 24
    missing = CliRunner().invoke(
        app,
        ["audit", "--judge", "scripted:oracle", "--data", str(data), "--evalbiasbench", str(tmp_path / "nope.jsonl")],
    )
    assert missing.exit_code != 0 and "nope.jsonl" in str(missing.exception)
