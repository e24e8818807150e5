"""`openai:MODEL@BASE_URL` names any model, "@" included: the URL follows the last "@" that starts http(s)://."""

from __future__ import annotations

import pytest

from components.config import load_params
from components.judges.spec import judge_from_spec, openai_target
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("spec", "model", "url"),
    [
        ("openai:gpt-4o@https://api.openai.com/v1", "gpt-4o", "https://api.openai.com/v1"),
        ("openai:judge@champion@http://127.0.0.1:8000/v1", "judge@champion", "http://127.0.0.1:8000/v1"),
        ("openai:org/model@v2@http://localhost:9/v1", "org/model@v2", "http://localhost:9/v1"),
    ],
)
def test_the_url_is_what_follows_the_last_at_that_starts_a_url(spec, model, url):
    assert openai_target(spec) == (model, url)


@pytest.mark.parametrize("spec", ["openai:gpt-4o", "openai:judge@champion", "openai:@http://h/v1", "openai:m@ftp://h"])
def test_a_spec_without_a_model_or_an_http_url_is_refused(spec):
    with pytest.raises(ValueError, match="openai:MODEL@BASE_URL"):
        openai_target(spec)


def test_the_judge_asks_the_served_model_by_its_full_name_in_the_pipelines_mode():
    params = load_params(REPO / "params.yaml")
    judge = judge_from_spec("openai:judge@champion@http://127.0.0.1:9/v1", params)
    assert (judge.client.model, judge.client.base_url) == ("judge@champion", "http://127.0.0.1:9/v1")
    assert judge.name == "openai:judge@champion" and judge.mode == params.judge.mode == "logprob"
    assert judge.min_score_mass == params.judge.min_score_mass
