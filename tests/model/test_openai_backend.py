"""The openai backend against a scripted fake endpoint on 127.0.0.1: retries, explicit failures,
the response cache (also across a SIGKILL), token counts, and a key that never leaks."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from components.judges.base import both_orders
from components.judges.openai import OpenAIJudge
from components.llm_client import LLMClient
from components.schemas import FIRST
from tests.factories import arithmetic_pairs
from tests.fakes import SECRET, USAGE

REPO = Path(__file__).resolve().parents[2]
ANSWER = "8 3\nAssistant 1 is right."  # what the fake server answers by default


def make_judge(url: str, **client_options) -> OpenAIJudge:
    options = dict(model="gpt-test", timeout_s=0.3, max_retries=3, backoff_s=0.01, max_backoff_s=0.05) | client_options
    return OpenAIJudge("api", LLMClient(url, **options))


def test_429_500_and_a_timeout_are_retried_until_an_answer_comes(fake_server):
    fake = fake_server(lambda n, body: {0: 429, 1: 500, 2: "hang"}.get(n))
    judge = make_judge(fake.url)
    (judgment,) = judge.judge(both_orders(arithmetic_pairs(1))[:1])
    assert len(fake.requests) == 4
    assert judge.client.calls == {"requests": 4, "retries": 3, "cached": 0, "failed": 0}
    assert not judgment.failed and judgment.verdict == FIRST and judgment.raw == ANSWER


def test_an_item_that_keeps_failing_becomes_an_explicit_failed_judgment(fake_server):
    always_500 = fake_server(lambda n, body: 500)
    judge = make_judge(always_500.url, max_retries=2)
    items = both_orders(arithmetic_pairs(1))
    judgments = judge.judge(items)
    assert len(always_500.requests) == 3 * len(items)
    for judgment in judgments:
        assert judgment.failed and judgment.verdict is None and judgment.raw == ""
        assert "HTTP 500" in judgment.failure and "3 attempts" in judgment.failure

    bad_request = fake_server(lambda n, body: 400)
    (judgment,) = make_judge(bad_request.url).judge(items[:1])
    assert len(bad_request.requests) == 1, "a 4xx other than 429 is the request's fault: not retried"
    assert judgment.failed and "HTTP 400" in judgment.failure

    closed = fake_server()
    closed.stop()
    (judgment,) = make_judge(closed.url, max_retries=1).judge(items[:1])
    assert judgment.failed and "connection error" in judgment.failure and "2 attempts" in judgment.failure


def test_a_second_run_is_served_from_the_cache_and_usage_counts_only_paid_tokens(fake_server, tmp_path):
    fake = fake_server()
    cache = tmp_path / "responses.jsonl"
    items = both_orders(arithmetic_pairs(3))
    first = make_judge(fake.url, cache=cache)
    judgments = first.judge(items + items[:2])  # repeated items in one batch are asked once
    assert len(fake.requests) == len(items) == len(set(fake.keys()))
    assert first.usage == {name: value * len(items) for name, value in USAGE.items()}

    again = make_judge(fake.url, cache=cache)
    assert again.judge(items) == judgments[: len(items)]
    assert len(fake.requests) == len(items), "a rerun makes zero requests"
    assert again.usage == dict.fromkeys(USAGE, 0) and again.client.calls["cached"] == len(items)
    assert len(cache.read_text().splitlines()) == len(items)

    hotter = make_judge(fake.url, cache=cache, temperature=0.7)
    hotter.judge(items[:1])
    assert len(fake.requests) == len(items) + 1, "other decoding settings are another request"

    elsewhere = fake_server()
    make_judge(elsewhere.url, cache=cache).judge(items[:1])
    assert len(elsewhere.requests) == 1, "another endpoint serving a model of the same name is another request"


def test_the_api_key_is_sent_but_never_logged_cached_or_recorded(fake_server, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("JUDGEOPS_TEST_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    fake = fake_server(lambda n, body: {0: 500, 2: "echo_key"}.get(n))
    cache = tmp_path / "responses.jsonl"
    judge = make_judge(fake.url, cache=cache, api_key_env="JUDGEOPS_TEST_KEY", concurrency=1)
    judgments = judge.judge(both_orders(arithmetic_pairs(1)))
    logging.getLogger("test").error("client %r judge %r", judge.client, judge)

    assert {request["auth"] for request in fake.requests} == {f"Bearer {SECRET}"}
    assert judgments[1].failed and "bad key Bearer ***" in judgments[1].failure
    assert not judgments[0].failed and cache.exists()
    records = json.dumps([j.model_dump() for j in judgments]) + json.dumps(judge.describe())
    for text in (caplog.text, cache.read_text(), records, repr(judge), repr(judge.client)):
        assert SECRET not in text
    assert judge.describe()["api_key_env"] == "JUDGEOPS_TEST_KEY"

    monkeypatch.delenv("JUDGEOPS_TEST_KEY")
    with pytest.raises(ValueError, match="JUDGEOPS_TEST_KEY is not set"):
        make_judge(fake.url, api_key_env="JUDGEOPS_TEST_KEY")


RUN_JUDGE = """
import sys
from pathlib import Path
from components.judges.base import both_orders
from components.judges.cache import judge_cached
from components.judges.openai import OpenAIJudge
from components.llm_client import LLMClient
from tests.factories import arithmetic_pairs

url, cache, out = sys.argv[1:]
client = LLMClient(url, "gpt-test", cache=Path(cache), concurrency=2, timeout_s=5)
judge_cached(OpenAIJudge("api", client), both_orders(arithmetic_pairs(10)), Path(out), chunk=4)
"""


def test_a_killed_run_resumes_paying_once_per_answered_request_and_writing_no_duplicates(fake_server, tmp_path):
    fake = fake_server(delay_s=0.15)
    cache, out = tmp_path / "responses.jsonl", tmp_path / "judgments.jsonl"
    command = [sys.executable, "-c", RUN_JUDGE, fake.url, str(cache), str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.Popen(command, cwd=REPO, env=env)
    deadline = time.monotonic() + 20
    while not (cache.exists() and len(cache.read_text().splitlines()) >= 6):
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL
    answered = set(_cached_keys(cache))
    assert 6 <= len(answered) < 20

    subprocess.run(command, cwd=REPO, env=env, check=True, timeout=30)
    requests = fake.keys()
    assert len(requests) == 20, "every item reached the server"
    assert all(requests[key] == 1 for key in answered), "an answered request is never paid twice"
    assert sum(requests.values()) <= 20 + 2, "only the requests in flight at the kill (concurrency 2) are resent"
    assert sorted(_cached_keys(cache)) == sorted(requests)
    judged = [json.loads(line)["key"] for line in out.read_text().splitlines()]
    assert len(judged) == len(set(judged)) == 20


def _cached_keys(cache: Path) -> list[str]:
    """The keys of the complete lines (a kill can leave the last one torn)."""
    keys = []
    for line in cache.read_text().splitlines():
        try:
            keys.append(json.loads(line)["key"])
        except json.JSONDecodeError:
            pass
    return keys


def score_line_logprobs(body: dict) -> list[dict]:
    """The logprobs of the line "8 3": 8 at .5 (7 at .3), then the separator, then 3 at .6 (2 at .2)."""

    def entry(token: str, top: dict[str, float]) -> dict:
        listed = [{"token": t, "logprob": math.log(p), "bytes": list(t.encode())} for t, p in top.items()]
        return {"token": token, "logprob": math.log(top[token]), "bytes": list(token.encode()), "top_logprobs": listed}

    return [entry("8", {"8": 0.5, "7": 0.3}), entry(" ", {" ": 0.99}), entry("3", {"3": 0.6, "2": 0.2})]


def test_logprob_mode_asks_for_logprobs_reads_the_score_line_from_them_and_caches_them(fake_server, tmp_path):
    fake = fake_server(logprobs=score_line_logprobs)
    cache = tmp_path / "responses.jsonl"
    items = both_orders(arithmetic_pairs(2))
    judge = OpenAIJudge("api", LLMClient(fake.url, "gpt-test", cache=cache), mode="logprob")
    judgments = judge.judge(items)
    assert all(
        body["logprobs"] is True and body["top_logprobs"] == 20 and body["max_tokens"] == 8 for body in fake.bodies
    )
    for judgment in judgments:
        assert (judgment.raw, judgment.verdict) == ("8 3", FIRST)
        assert judgment.score1 == pytest.approx((8 * 0.5 + 7 * 0.3) / 0.8)
        assert judgment.score2 == pytest.approx((3 * 0.6 + 2 * 0.2) / 0.8)
        assert judgment.confidence == pytest.approx(0.5 * 0.6)
    again = OpenAIJudge("api", LLMClient(fake.url, "gpt-test", cache=cache), mode="logprob")
    assert again.judge(items) == judgments and len(fake.requests) == len(items), "logprobs come from the cache"
    plain = OpenAIJudge("api", LLMClient(fake.url, "gpt-test", cache=cache))
    assert plain.judge(items[:1])[0].raw == ANSWER and len(fake.requests) == len(items) + 1


def test_an_endpoint_that_sends_no_logprobs_is_judged_score_first_with_one_warning(fake_server, caplog):
    fake = fake_server()  # ignores logprobs, as judgeops serve did before it learned them
    caplog.set_level(logging.WARNING)
    judge = OpenAIJudge("api", LLMClient(fake.url, "gpt-test", concurrency=1), mode="logprob")
    judgments = judge.judge(both_orders(arithmetic_pairs(3)))
    assert all(not j.failed and j.verdict == FIRST and j.raw == ANSWER for j in judgments)
    warnings = [record.getMessage() for record in caplog.records if "sent no logprobs" in record.getMessage()]
    assert len(warnings) == 1 and "judging score_first" in warnings[0]
    copy = judge.with_template("judgelm")
    copy.judge(both_orders(arithmetic_pairs(1)))
    assert sum("sent no logprobs" in record.getMessage() for record in caplog.records) == 1
