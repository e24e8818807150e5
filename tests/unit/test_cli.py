"""The judgeops CLI as a user runs it: audit any judge on any pairs file, score a predictions file, and
one line (no traceback) for each mistake a user can make."""

import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from components.cli import app, main
from components.io import write_jsonl
from tests.conftest import REPO
from tests.console import judgeops
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


def test_audit_uploads_only_the_files_it_wrote(tmp_path, monkeypatch):
    in_project(tmp_path, monkeypatch)
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(12))
    (tmp_path / "out" / "private").mkdir(parents=True)
    (tmp_path / "out" / "notes.txt").write_text("not the audit's")
    (tmp_path / "out" / "private" / "secret.env").write_text("KEY=1")
    result = runner.invoke(app, ["audit", "--judge", "scripted:oracle", "--data", "pairs.jsonl", "--out", "out"])
    assert result.exit_code == 0, result.output
    uploaded = {p.name for p in (tmp_path / "mlartifacts").rglob("*") if p.is_file()}
    assert {"results.json", "summary.md"} <= uploaded
    assert not {"notes.txt", "secret.env"} & uploaded, f"files the audit did not write were uploaded: {uploaded}"


SLOW_AUDIT = """
import pathlib, signal, sys, time
import components.audit.suite as suite

# Ctrl-C as a terminal's foreground job gets it, whatever disposition the test runner passed down
signal.signal(signal.SIGINT, signal.default_int_handler)

def slow(*args, **kwargs):  # the audit's run is open: wait here for the signal
    pathlib.Path("started").write_text("1")
    time.sleep(120)

suite.audit_judge = slow
from components.cli import main
sys.argv = ["judgeops", "audit", "--judge", "scripted:always_first", "--data", "pairs.jsonl", "--out", "out"]
main()
"""


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "Ctrl-C"])
def test_a_command_stopped_by_a_signal_ends_its_mlflow_run_killed(tmp_path, signum, code):
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(6))
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "PYTHONPATH": str(REPO)}
    command = subprocess.Popen(
        [sys.executable, "-c", SLOW_AUDIT], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.time() + 120
        while not (tmp_path / "started").exists():
            assert command.poll() is None and time.time() < deadline, command.communicate(timeout=30)[0][-2000:]
            time.sleep(0.2)
        command.send_signal(signum)
        output = command.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert command.returncode == code, output[-2000:]
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        statuses = [row[0] for row in db.execute("select status from runs")]
    assert statuses == ["KILLED"], output[-2000:]


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


def test_self_sources_on_the_command_line_name_the_family_of_a_judge_we_did_not_train(tmp_path, monkeypatch):
    in_project(tmp_path, monkeypatch)
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(72))
    base = ["audit", "--judge", "scripted:prefers_source", "--data", "pairs.jsonl", "--probes", "self_enhancement"]
    assert runner.invoke(app, base).exit_code == 0
    (unnamed,) = json.loads((tmp_path / "audit-results" / "results.json").read_text())
    assert unnamed["skipped"] and not unnamed["flagged"]
    result = runner.invoke(app, [*base, "--self-sources", "model:"])
    assert result.exit_code == 0, result.output
    (named,) = json.loads((tmp_path / "audit-results" / "results.json").read_text())
    assert not named["skipped"] and named["flagged"] and named["n"] >= 10 and named["families"]


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
    # skipped: its family is unknown; and the published traps, no file named by default
    assert [name for name, r in results.items() if r["skipped"]] == ["self_enhancement", "evalbiasbench"]
    assert "model family is unknown" in results["self_enhancement"]["skipped"], "an API judge's family is not ours"
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
    assert "| fixed | format | -- | -- | -- | -- | -- | skipped |" in render_markdown([skipped])
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
        ["--judge", "openai:gpt-test@http://127.0.0.1:9/v1", "--data", "pairs.jsonl", "--api-key-env", "NO_SUCH_KEY"],
        "NO_SUCH_KEY is not set",
    ),
    ("bad probe name", ["--judge", "scripted:oracle", "--data", "pairs.jsonl", "--probes", "positon"], "'positon'"),
    ("--out is a file", ["--judge", "scripted:oracle", "--data", "pairs.jsonl", "--out", "pairs.jsonl"], "is a file"),
]


@pytest.mark.parametrize("mistake, args, says", MISTAKES, ids=[case[0] for case in MISTAKES])
def test_every_user_mistake_in_audit_is_one_line_and_a_non_zero_exit(
    tmp_path, monkeypatch, capsys, mistake, args, says
):
    in_project(tmp_path, monkeypatch)
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
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


def pandalm_row(idx: int, **changes) -> dict:
    row = {
        "idx": idx, "motivation_app": "app", "cmp_key": "a_b", "instruction": "Say hi.", "input": "",
        "response1": "hi", "response2": "hello", "annotator1": 1, "annotator2": 1, "annotator3": 2,
    }  # fmt: skip
    return {**row, **changes}


def canonical(pair_id: str, **raw: str) -> str:
    """One canonical pair (verdict 1, no scores) as a JSON line, with the ``raw`` fields written as given:
    NaN, Infinity, true."""
    row = audit_pairs(1)[0].model_copy(update={"id": pair_id, "score1": None, "score2": None, "verdict": 1})
    line = json.dumps({**row.model_dump(mode="json"), **{name: f"@{name}@" for name in raw}})
    for name, text in raw.items():
        line = line.replace(f'"@{name}@"', text)
    return line + "\n"


# kind, input file, its content, extra options, what the one-line error says
BAD_IMPORTS = {
    "an empty file": ("jsonl", "in.jsonl", "", [], "in.jsonl: no records to import: it is empty"),
    "blank lines only": ("judgelm", "in.jsonl", "\n  \n", [], "in.jsonl: no records to import: it is empty"),
    "an empty JSON array": ("pandalm", "in.json", "[]", [], "in.json: no records to import: it is empty"),
    "every row rejected": (
        "jsonl",
        "in.jsonl",
        '{"id": "x"}\n{not json\n',
        ["--on-error", "skip"],
        "in.jsonl: all 2 rows were rejected; nothing written to out.jsonl (reasons in out.rejects.jsonl)",
    ),
    "an object where the array belongs": (
        "pandalm",
        "in.json",
        json.dumps({"data": [pandalm_row(0)], "version": 1}, indent=2),
        [],
        "in.json: expected a JSON array of records, found an object (keys: data, version)",
    ),
    "an object on one line where the array belongs": (
        "pandalm",
        "in.json",
        json.dumps({"data": [pandalm_row(0)]}),
        [],
        "in.json: expected a JSON array of records, found an object (keys: data)",
    ),
    "a NaN score": (
        "jsonl",
        "in.jsonl",
        canonical("p1") + canonical("p2", score1="NaN"),
        [],
        "in.jsonl:2: field 'score1'",
    ),
    "an infinite score": ("jsonl", "in.jsonl", canonical("p1", score2="-Infinity"), [], "in.jsonl:1: field 'score2'"),
    "a boolean verdict": ("jsonl", "in.jsonl", canonical("p1", verdict="true"), [], "in.jsonl:1: field 'verdict'"),
    "boolean annotator labels": (
        "jsonl",
        "in.jsonl",
        canonical("p1", annotators="[true, 1, 1]"),
        [],
        "in.jsonl:1: field 'annotators'",
    ),
    "--rejects naming the --out file": (
        "jsonl",
        "in.jsonl",
        canonical("p1"),
        ["--on-error", "skip", "--rejects", "./out.jsonl"],
        "--rejects out.jsonl is the --out file",
    ),
}


@pytest.mark.parametrize("case", BAD_IMPORTS)
def test_bad_import_input_gets_one_line_naming_it_and_a_non_zero_exit(tmp_path, monkeypatch, capsys, case):
    kind, name, content, options, message = BAD_IMPORTS[case]
    in_project(tmp_path, monkeypatch)
    (tmp_path / name).write_text(content)
    code, out, err = judgeops(["import", kind, name, "--out", "out.jsonl", *options], monkeypatch, capsys)
    assert code == 1, (out, err)
    error = err.strip().splitlines()[-1]
    assert error.startswith("judgeops: error: ") and message in error, err
    assert "Traceback" not in err and "wrote" not in out
    assert not (tmp_path / "out.jsonl").exists(), "nothing usable: nothing written"


def test_an_import_with_every_row_rejected_still_writes_the_rejects(tmp_path, monkeypatch, capsys):
    in_project(tmp_path, monkeypatch)
    (tmp_path / "in.jsonl").write_text(canonical("p1", score1="NaN") + canonical("p2", verdict="false"))
    code, _, err = judgeops(
        ["import", "jsonl", "in.jsonl", "--out", "o.jsonl", "--on-error", "skip"], monkeypatch, capsys
    )
    assert code == 1 and "2 rows rejected -> o.rejects.jsonl" in err
    rejects = [json.loads(line) for line in (tmp_path / "o.rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["field"]) for r in rejects] == [(1, "score1"), (2, "verdict")]
    assert math.isnan(rejects[0]["record"]["score1"]) and rejects[1]["record"]["verdict"] is False


def test_pandalm_boolean_responses_stay_a_warning_not_an_error(tmp_path, monkeypatch, capsys):
    in_project(tmp_path, monkeypatch)
    (tmp_path / "in.json").write_text(json.dumps([pandalm_row(0, response1=True), pandalm_row(1)]))
    code, out, err = judgeops(["import", "pandalm", "in.json", "--out", "o.jsonl"], monkeypatch, capsys)
    assert code == 0 and "wrote 2 pairs" in out
    assert "in.json:1: field 'response1': JSON boolean true cast to str" in err


YAML_ERRORS = {
    "an unclosed flow list": ("judge:\n  mode: [logprob\nreport: {}\n", "params.yaml:3:7: YAML syntax error"),
    "a bad indent": ("judge:\n  mode: logprob\n   batch_size: 4\n", "params.yaml:3:14: YAML syntax error"),
}


@pytest.mark.parametrize("command", [["validate", "pairs.jsonl"], ["profile", "tiny"]])
@pytest.mark.parametrize("case", YAML_ERRORS)
def test_a_yaml_syntax_error_in_params_is_one_line_naming_file_line_and_column(
    tmp_path, monkeypatch, capsys, command, case
):
    text, message = YAML_ERRORS[case]
    in_project(tmp_path, monkeypatch)
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(3))
    (tmp_path / "params.yaml").write_text(text)
    code, _, err = judgeops(command, monkeypatch, capsys)
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()] and err.startswith(f"judgeops: error: {message}"), err


def test_off_a_terminal_no_dependency_draws_a_bar_and_on_one_the_bars_stay(monkeypatch):
    from components.cli import quiet_dependencies

    for name in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE"):
        monkeypatch.delenv(name, raising=False)
    quiet_dependencies(tty=True)
    assert "HF_HUB_DISABLE_PROGRESS_BARS" not in os.environ and "TQDM_DISABLE" not in os.environ
    quiet_dependencies(tty=False)
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == os.environ["TQDM_DISABLE"] == "1"
