"""The judgeops CLI as a user runs it: audit any judge on any pairs file, score a predictions file, and
one line (no traceback) for each mistake a user can make."""

import json
import shutil
import sys

import pytest
from typer.testing import CliRunner

from components.cli import app, main
from components.io import write_jsonl
from tests.conftest import REPO
from tests.factories import audit_pairs
from tests.fakes import SECRET, user_text

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


def test_a_second_judge_audited_into_the_same_folder_is_judged_afresh(tmp_path, monkeypatch):
    in_project(tmp_path, monkeypatch)
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(36))
    for judge in ("scripted:always_first", "scripted:oracle"):
        result = runner.invoke(app, ["audit", "--judge", judge, "--data", "pairs.jsonl", "--out", "out"])
        assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {r["judge"] for r in results} == {"oracle"}
    assert not [r["probe"] for r in results if r["flagged"]], "the oracle has no bias for any probe to find"
    position = next(r for r in results if r["probe"] == "position")
    assert position["value"] == 1.0


def test_probes_named_on_the_command_line_replace_the_configured_ones(tmp_path, monkeypatch):
    in_project(tmp_path, monkeypatch)
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(12))
    probes = ["--probes", "format,position"]
    result = runner.invoke(app, ["audit", "--judge", "scripted:oracle", "--data", "pairs.jsonl", *probes])
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "audit-results" / "results.json").read_text())
    assert [r["probe"] for r in results] == ["format", "position"]


def test_audit_an_api_judge_with_the_default_params_runs_the_format_probe(tmp_path, monkeypatch, fake_server):
    in_project(tmp_path, monkeypatch)
    monkeypatch.setenv("JUDGEOPS_TEST_KEY", SECRET)
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(36))
    asked = []
    fake = fake_server(reply=lambda body: asked.append(user_text(body)) or "8 3\nAssistant 1 is better.")
    spec = f"openai:gpt-test@{fake.url}"
    args = ["audit", "--judge", spec, "--api-key-env", "JUDGEOPS_TEST_KEY", "--data", "pairs.jsonl", "--out", "out"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    results = {r["probe"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())}
    assert not any(r["skipped"] for r in results.values())
    assert results["format"]["details"]["variants"]["template=judgelm"]["n"] > 0
    assert any("[The Start of Assistant 1's Answer]" in text for text in asked), "re-templated as judgelm"
    assert results["position"]["flagged"], "a judge that always answers '8 3' prefers the first answer"
    assert {request["auth"] for request in fake.requests} == {f"Bearer {SECRET}"}
    for path in tmp_path.rglob("*.jsonl"):
        assert SECRET not in path.read_text(), path


def test_a_probe_that_cannot_run_is_reported_as_skipped(tmp_path):
    from components.audit.base import ProbeResult
    from components.audit.suite import render_markdown, summary_metrics

    skipped = ProbeResult.skip("format", "fixed", "judge 'fixed' has no with_template(name)")
    assert "| fixed | format | -- | -- | -- | skipped |" in render_markdown([skipped])
    assert "- fixed: format: skipped: judge 'fixed' has no with_template(name)" in render_markdown([skipped])
    assert summary_metrics([skipped]) == {"fixed.format.skipped": 1}


# (the mistake, the audit arguments, what the one line must say)
MISTAKES = [
    ("unknown judge", ["--judge", "nope", "--data", "pairs.jsonl"], "unknown judge 'nope'"),
    ("unknown scripted judge", ["--judge", "scripted:nope", "--data", "pairs.jsonl"], "unknown scripted judge"),
    ("malformed openai spec", ["--judge", "openai:gpt-test", "--data", "pairs.jsonl"], "openai:MODEL@BASE_URL"),
    ("unregistered judge", ["--judge", "models:/judge@nope", "--data", "pairs.jsonl"], "not in the MLflow registry"),
    ("missing data file", ["--judge", "scripted:oracle", "--data", "missing.jsonl"], "missing.jsonl"),
    ("judge without data", ["--judge", "scripted:oracle"], "--judge and --data go together"),
    (
        "missing API key variable",
        ["--judge", "openai:gpt-test@http://127.0.0.1:9/v1", "--data", "pairs.jsonl", "--api-key-env", "JUDGEOPS_NO"],
        "JUDGEOPS_NO is not set",
    ),
    ("bad probe name", ["--judge", "scripted:oracle", "--data", "pairs.jsonl", "--probes", "positon"], "'positon'"),
    ("--out is a file", ["--judge", "scripted:oracle", "--data", "pairs.jsonl", "--out", "pairs.jsonl"], "is a file"),
]


@pytest.mark.parametrize("mistake, args, says", MISTAKES, ids=[case[0] for case in MISTAKES])
def test_every_user_mistake_in_audit_is_one_line_and_a_non_zero_exit(
    tmp_path, monkeypatch, capsys, mistake, args, says
):
    in_project(tmp_path, monkeypatch)
    monkeypatch.delenv("JUDGEOPS_NO", raising=False)
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(6))
    monkeypatch.setattr(sys, "argv", ["judgeops", "audit", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert exited.value.code not in (0, None), mistake
    assert len(lines) == 1 and lines[0].startswith("judgeops: error: "), lines
    assert says in lines[0], lines


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
