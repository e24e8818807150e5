"""api_key_env may name only a key variable (a name ending in _API_KEY, _KEY or _TOKEN, not another service's
credential), or one the user lists in JUDGEOPS_KEY_VARS: in params.yaml, in a deployment's overrides (they go
through the same validation) and on the command line (--api-key-env)."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from components.config import ConfigError, OpenAITeacherParams
from components.io import write_jsonl
from components.llm_client import LLMClient
from components.profiles import merge_overrides
from tests.conftest import REPO
from tests.factories import audit_pairs

NOT_KEYS = ["HOME", "PATH", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "openai_api_key", "MY_KEYS"]


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "HF_TOKEN", "JUDGEOPS_TEST_KEY", None])
def test_a_key_variable_is_accepted(name):
    assert OpenAITeacherParams(api_key_env=name).api_key_env == name


@pytest.mark.parametrize("name", NOT_KEYS)
def test_any_other_variable_is_refused_everywhere(name, monkeypatch):
    monkeypatch.delenv("JUDGEOPS_KEY_VARS", raising=False)
    monkeypatch.setenv(name, "a value that must not be sent")
    with pytest.raises(ValueError, match="JUDGEOPS_KEY_VARS"):
        OpenAITeacherParams(api_key_env=name)
    with pytest.raises(ValueError, match="JUDGEOPS_KEY_VARS"):
        LLMClient("http://127.0.0.1:9/v1", "gpt-test", api_key_env=name)
    base = (REPO / "params.yaml").read_text()
    with pytest.raises(ConfigError, match="api_key_env"):  # the path a Prefect deployment's overrides take
        merge_overrides(base, {"generate": {"openai": {"api_key_env": name}}}, origin=REPO / "params.yaml")


def test_the_cli_refuses_a_variable_that_is_not_a_key(monkeypatch, tmp_path):
    from components.cli import app

    monkeypatch.delenv("JUDGEOPS_KEY_VARS", raising=False)
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "pairs.jsonl", audit_pairs(2))
    args = ["audit", "--judge", "openai:m@http://127.0.0.1:9/v1", "--data", "pairs.jsonl", "--api-key-env", "HOME"]
    result = CliRunner().invoke(app, [*args, "--out", "out"])
    assert result.exit_code != 0 and "does not name an API key" in str(result.exception)


def test_the_user_extends_the_allowlist_by_environment(monkeypatch):
    monkeypatch.setenv("JUDGEOPS_KEY_VARS", "AZURE_OPENAI_SECRET, GITHUB_TOKEN")
    monkeypatch.setenv("AZURE_OPENAI_SECRET", "s")
    assert OpenAITeacherParams(api_key_env="AZURE_OPENAI_SECRET").api_key_env == "AZURE_OPENAI_SECRET"
    assert OpenAITeacherParams(api_key_env="GITHUB_TOKEN").api_key_env == "GITHUB_TOKEN"
    assert LLMClient("http://127.0.0.1:9/v1", "m", api_key_env="AZURE_OPENAI_SECRET").api_key_env
