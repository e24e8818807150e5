"""Credentials in a URL (user:password@, a key in the query string) never reach what this project writes:
MLflow params and tags, warnings, log lines, the one-line error. One helper does it: components.redaction."""

from __future__ import annotations

import logging
import shutil
import sqlite3

import pytest
from typer.testing import CliRunner

from components.cli import app
from components.io import write_jsonl
from components.redaction import RedactingFilter, redact, redact_url
from tests.conftest import REPO
from tests.factories import audit_pairs

PASSWORD = "hunter2-DO-NOT-LEAK"
QUERY_KEY = "qk-DO-NOT-LEAK-42"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("https://user:pw@api.example.com/v1", "https://***@api.example.com/v1"),
        ("https://TOKEN@api.example.com", "https://***@api.example.com"),
        ("https://h/v1?api_key=sk-1&api-version=2024-02-01#top", "https://h/v1?api_key=***&api-version=***#top"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("sqlite:////tmp/mlflow.db", "sqlite:////tmp/mlflow.db"),
        ("openai:judge@champion@http://u:p@127.0.0.1:9/v1", "openai:judge@champion@http://***@127.0.0.1:9/v1"),
    ],
)
def test_a_urls_credentials_are_masked_and_nothing_else_changes(url, redacted):
    assert redact_url(url) == redacted
    assert redact(f"asked {url} twice") == f"asked {redacted} twice"


def test_the_log_filter_redacts_a_formatted_message():
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "endpoint %s failed", (f"https://a:{PASSWORD}@h",), None
    )
    assert RedactingFilter().filter(record) and PASSWORD not in record.getMessage()


def test_audit_of_a_judge_behind_a_url_with_credentials_writes_them_nowhere(tmp_path, monkeypatch, caplog, fake_server):
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(12))
    fake = fake_server()
    url = fake.url.replace("http://", f"http://judge:{PASSWORD}@")
    spec = f"openai:gpt-test@{url}"
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(
            app, ["audit", "--judge", spec, "--data", "pairs.jsonl", "--out", "out", "--probes", "position"]
        )
    assert result.exit_code == 0, result.output
    assert fake.requests, "the judge was asked"
    assert PASSWORD not in caplog.text and PASSWORD not in result.output
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        params = dict(db.execute("select key, value from params").fetchall())
        tags = [value for (value,) in db.execute("select value from tags")]
    assert params["judge"] == spec.replace(f"judge:{PASSWORD}@", "***@")
    assert not [v for v in [*params.values(), *tags] if PASSWORD in v]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "mlflow.db":
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_the_no_logprobs_warning_names_the_endpoint_without_its_credentials(caplog):
    from components.judges.openai import OpenAIJudge
    from components.llm_client import ChatResult, LLMClient

    client = LLMClient(f"http://judge:{PASSWORD}@127.0.0.1:9/v1?key={QUERY_KEY}", "gpt-test")
    client._fingerprint[:] = [None]  # nothing is asked of the endpoint
    judge = OpenAIJudge("openai:gpt-test", client, mode="logprob")
    with caplog.at_level(logging.WARNING):
        judge._read(ChatResult("8 3\nAssistant 1.", {}, cached=False))
    assert "sent no logprobs" in caplog.text and "http://***@127.0.0.1:9/v1?key=***" in caplog.text
    assert PASSWORD not in caplog.text and QUERY_KEY not in caplog.text
    assert PASSWORD not in str(client.describe()) and QUERY_KEY not in str(client.describe())


def test_tracked_params_and_tags_are_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    from components.tracking import parent_run

    overrides = {"generate": {"openai": {"base_url": f"https://h/v1?key={QUERY_KEY}"}}}
    with parent_run("judge-pipeline", {"overrides": overrides}, tags={"judgeops.overrides": str(overrides)}):
        pass
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        written = [v for (v,) in db.execute("select value from params union all select value from tags")]
    assert "https://h/v1?key=***" in " ".join(written)
    assert not [v for v in written if QUERY_KEY in v]
