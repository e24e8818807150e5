"""The judgeops CLI as a user runs it: audit any judge on any pairs file, score a predictions file."""

import json
import shutil

from typer.testing import CliRunner

from components.cli import app
from components.io import write_jsonl
from tests.conftest import REPO
from tests.factories import audit_pairs

runner = CliRunner()


def in_project(tmp_path, monkeypatch):
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")


def test_audit_a_named_judge_on_a_named_dataset(tmp_path, monkeypatch):
    in_project(tmp_path, monkeypatch)
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(36))
    result = runner.invoke(app, ["audit", "--judge", "scripted:always_first", "--data", "pairs.jsonl", "--out", "out"])
    assert result.exit_code == 0, result.output
    results = {r["probe"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())}
    assert results["position"]["flagged"] is True
    assert results["position"]["value"] < 0.5
    assert "position" in (tmp_path / "out" / "summary.md").read_text()


def test_audit_needs_both_judge_and_data(tmp_path, monkeypatch):
    in_project(tmp_path, monkeypatch)
    result = runner.invoke(app, ["audit", "--judge", "scripted:oracle"])
    assert result.exit_code != 0
    assert "--judge and --data go together" in result.output


def test_score_aligns_by_id_and_writes_json(tmp_path, monkeypatch):
    in_project(tmp_path, monkeypatch)
    pairs = audit_pairs(12)
    write_jsonl(tmp_path / "gold.jsonl", pairs)
    predictions = [{"id": p.id, "verdict": p.verdict} for p in reversed(pairs)]
    write_jsonl(tmp_path / "pred.jsonl", predictions)
    result = runner.invoke(app, ["score", "gold.jsonl", "pred.jsonl", "--json", "m.json", "--resamples", "0"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m.json").read_text())["accuracy"] == 1.0


def test_compare_prints_metric_deltas_between_two_runs(tmp_path, monkeypatch):
    in_project(tmp_path, monkeypatch)
    from components.tracking import parent_run, stage_run

    ids = []
    for accuracy in (0.6, 0.75):
        with parent_run("judge-pipeline") as parent:
            monkeypatch.setenv("JUDGEOPS_PARENT_RUN_ID", parent)
            with stage_run("report") as tracker:
                tracker.metrics({"finetuned.accuracy": accuracy})
            ids.append(parent)
    monkeypatch.delenv("JUDGEOPS_PARENT_RUN_ID")
    result = runner.invoke(app, ["compare", ids[0], ids[1]])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "finetuned.accuracy" in line)
    assert "0.6000" in row and "0.7500" in row and "+0.1500" in row
    by_name = runner.invoke(app, ["compare", "judgeops", ids[0]])
    assert by_name.exit_code == 0 and "+0.0000" not in by_name.output.split("finetuned.accuracy")[0]


def test_import_pandalm_then_validate_it_as_a_user_would(tmp_path, monkeypatch, shared_data):
    in_project(tmp_path, monkeypatch)
    imported = runner.invoke(
        app, ["import", "pandalm", str(shared_data / "pandalm" / "testset-v1.json"), "--out", "p.jsonl"]
    )
    assert imported.exit_code == 0, imported.output
    assert "wrote 999 pairs" in imported.output
    checked = runner.invoke(app, ["validate", "p.jsonl", "--suite", "pairs"])
    assert checked.exit_code == 0, checked.output
    assert "duplicate_of" in checked.output and "bool_cast" in checked.output
