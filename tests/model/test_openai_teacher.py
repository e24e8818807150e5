"""The openai teacher against a real HTTP server on 127.0.0.1 (tests/fakes.py): JudgeLM's prompt and
format, retries, failures counted apart from swap conflicts and never tied, the response cache (also
across a SIGKILL), token counts and throughput in the stage metrics, and a key that never leaks."""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
import yaml

from components.config import OpenAITeacherParams, Params, parse_params
from components.schemas import FIRST, SECOND, TIE, VERDICTS, Answer, Question
from components.stages import generate
from components.teachers.openai import openai_teacher
from components.teachers.pairing import Candidate, PairingStats, label_pairs
from tests.fakes import SECRET, USAGE, judgelm_reply

REPO = Path(__file__).resolve().parents[2]
QUESTION = Question(id="q1", family="arithmetic", category="mathematics", instruction="What is 2 + 2?", reference="4")


def teacher_on(url: str, **settings):
    options = dict(base_url=url, model="gpt-test", api_key_env=None, timeout_s=0.3, max_retries=3) | settings
    return openai_teacher(OpenAITeacherParams(**options), cache=None, backoff_s=0.01, max_backoff_s=0.05)


def candidates(*answer_pairs: tuple[str, str]) -> list[Candidate]:
    def answer(text: str, n: int) -> Answer:
        return Answer(id=f"a{n}", question_id=QUESTION.id, source=f"s{n}", text=text)

    return [Candidate(QUESTION, i, answer(a, 2 * i), answer(b, 2 * i + 1)) for i, (a, b) in enumerate(answer_pairs)]


def stage_params(url: str, openai: dict | None = None, **generate_changes) -> Params:
    """A small generate config (6 questions, 4 variants) on the fake endpoint; ``openai`` overrides settings."""
    settings = {"base_url": url, "model": "gpt-test", "api_key_env": None, "concurrency": 4, "timeout_s": 5}
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    raw["generate"].update(
        families=["arithmetic", "capitals"],
        questions_per_family=3,
        variants=["correct", "wrong", "verbose", "refusal"],
        pairs_per_question=2,
        model_answers=False,
        teacher="openai",
        openai=settings | (openai or {}),
        **generate_changes,
    )
    return parse_params(raw)


def output_hashes(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "data/generated").glob("*"))}


def test_labels_follow_judgelm_prompt_and_format(fake_server):
    fake = fake_server(reply=judgelm_reply)
    teacher = teacher_on(fake.url)
    (right_first,) = teacher.label_many([(QUESTION, "4", "5")])
    assert (right_first.score1, right_first.score2, right_first.verdict) == (9, 4, FIRST)
    assert right_first.reason == "Assistant 1 scores 9; Assistant 2 scores 4."
    assert teacher.label(QUESTION, "5", "4").verdict == SECOND
    assert teacher.label(QUESTION, "4", "4.").verdict == TIE
    assert teacher.grade(QUESTION, "The answer is 4.").score == 9, "graded against the reference as Assistant 1"
    assert teacher.name == "openai:gpt-test"


def test_429_500_and_a_timeout_are_retried_with_backoff(fake_server):
    fake = fake_server(script=lambda n, body: {0: 429, 1: 500, 2: "hang"}.get(n), reply=judgelm_reply)
    teacher = teacher_on(fake.url)
    label = teacher.label(QUESTION, "4", "5")
    assert label.verdict == FIRST and len(fake.requests) == 4
    stats = teacher.stats()
    assert (stats["teacher_requests"], stats["teacher_retries"], stats["teacher_request_failures"]) == (4, 3, 0)
    assert stats["teacher_total_tokens"] == USAGE["total_tokens"], "tokens of the answered request only"


def test_failures_are_counted_apart_from_swap_conflicts_and_never_tied(fake_server):
    def reply(body: dict) -> str:
        text = json.dumps(body)
        if "GARBLED" in text:
            return "Both answers are fine, I would say."  # no score line: a parse failure
        if "BIASED" in text:
            return "7 2\nThe first answer is better."  # prefers whichever answer is shown first
        return judgelm_reply(body)

    fake = fake_server(script=lambda n, body: 500 if "DOWN" in json.dumps(body) else None, reply=reply)
    stats = PairingStats()
    pairs, rejects = label_pairs(
        candidates(("4", "5"), ("GARBLED 4", "5"), ("BIASED 4", "BIASED 5"), ("DOWN 4", "5")),
        teacher_on(fake.url, max_retries=1),
        swap_filter=True,
        stats=stats,
    )
    assert [p.id for p in pairs] == ["q1:p0"] and pairs[0].verdict == FIRST
    assert (stats.teacher_failures, stats.swap_conflicts, stats.sampled) == (2, 1, 1)
    reasons = sorted(r["reason"] for r in rejects)
    assert reasons[0].startswith("swap conflict: verdict 1, then 1")
    assert "first line is not 2 number(s)" in reasons[1] and "HTTP 500" in reasons[2]
    assert all(r["record"]["verdict"] is None for r in rejects), "a failure is never kept, never a tie"


def test_the_stage_caches_every_response_and_a_rerun_makes_zero_requests(fake_server, tmp_path, monkeypatch):
    fake = fake_server(reply=judgelm_reply, delay_s=0.02)
    params = stage_params(fake.url, two_round=True)
    monkeypatch.chdir(tmp_path)
    first = generate.run(params, None)
    sent = len(fake.requests)
    assert sent == len(fake.keys()), "no request is sent twice"
    assert first["pairs"] > 0 and first["teacher_failures_dropped"] == first["swap_conflicts_dropped"] == 0
    assert first["teacher_requests"] == sent and first["teacher_total_tokens"] == sent * USAGE["total_tokens"]
    assert first["teacher_concurrency"] == 4 and first["teacher_items_per_s"] > 0
    assert 1 < fake.max_in_flight <= 4, "requests run concurrently, at most 4 at a time"
    assert first["rewritten_without_reference"] == first["pairs"] and first["rewrite_failures"] == 0
    pairs = [json.loads(line) for line in (tmp_path / "data/generated/pairs.jsonl").read_text().splitlines()]
    assert all(p["verdict"] in VERDICTS and p["teacher"] == "openai:gpt-test" for p in pairs)
    assert all(p["reason_no_reference"].startswith("Rewritten") for p in pairs)
    cache = tmp_path / "data/cache/teacher/openai.jsonl"
    assert len(cache.read_text().splitlines()) == sent
    hashes = output_hashes(tmp_path)

    again = generate.run(params, None)
    assert len(fake.requests) == sent, "a rerun makes zero requests"
    assert again["teacher_requests"] == again["teacher_total_tokens"] == 0 and again["teacher_cached"] == sent
    assert output_hashes(tmp_path) == hashes


def test_the_api_key_is_sent_but_never_cached_written_or_logged(fake_server, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("JUDGEOPS_TEACHER_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    fake = fake_server(script=lambda n, body: "echo_key" if n == 3 else None, reply=judgelm_reply)
    params = stage_params(fake.url, openai={"api_key_env": "JUDGEOPS_TEACHER_KEY", "concurrency": 1})
    monkeypatch.chdir(tmp_path)
    metrics = generate.run(params, None)
    assert {request["auth"] for request in fake.requests} == {f"Bearer {SECRET}"}
    assert metrics["teacher_request_failures"] == 1, "the 401 is not retried and fails its item"
    written = [p.read_text() for p in tmp_path.rglob("*") if p.is_file()]
    assert any("bad key Bearer ***" in text for text in written), "the echoed key is redacted in the rejects"
    for text in [*written, caplog.text, json.dumps(metrics), params.model_dump_json()]:
        assert SECRET not in text


def run_stage_in(root: Path, params: Params) -> None:
    os.chdir(root)
    generate.run(params, None)


def test_a_killed_run_reruns_to_every_item_labelled_exactly_once(fake_server, tmp_path, monkeypatch):
    """The first run is a forked child process (it starts with the modules already imported) killed
    with SIGKILL mid-labelling; the rerun and an uninterrupted run for comparison run in this process."""
    fake = fake_server(reply=judgelm_reply, delay_s=0.05)
    params = stage_params(fake.url, openai={"concurrency": 2})
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    killed.mkdir(), clean.mkdir()
    child = multiprocessing.get_context("fork").Process(target=run_stage_in, args=(killed, params))
    child.start()
    cache = killed / "data/cache/teacher/openai.jsonl"
    deadline = time.monotonic() + 30
    while not (cache.exists() and len(cache.read_text().splitlines()) >= 10):
        assert child.is_alive() and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert child.exitcode == -signal.SIGKILL
    assert not (killed / "data/generated").exists(), "killed before writing any output"
    answered = set(_cached_keys(cache))

    monkeypatch.chdir(killed)
    generate.run(params, None)
    requests = fake.keys()
    assert 10 <= len(answered) < len(requests), "the kill came mid-run"
    assert all(requests[key] == 1 for key in answered), "an answered request is never paid twice"
    assert sum(requests.values()) <= len(requests) + 2, "only requests in flight at the kill (concurrency 2) repeat"
    assert sorted(_cached_keys(cache)) == sorted(requests), "every request answered once, all cached"

    monkeypatch.chdir(clean)
    generate.run(params, None)
    ids = [json.loads(line)["id"] for line in (killed / "data/generated/pairs.jsonl").read_text().splitlines()]
    clean_ids = [json.loads(line)["id"] for line in (clean / "data/generated/pairs.jsonl").read_text().splitlines()]
    assert ids and len(ids) == len(set(ids)), "no pair twice"
    assert ids == clean_ids, "none missing: the same pairs as an uninterrupted run"
    assert output_hashes(killed) == output_hashes(clean)


def _cached_keys(cache: Path) -> list[str]:
    """The keys of the complete lines (a kill can leave the last one torn)."""
    keys = []
    for line in cache.read_text().splitlines():
        try:
            keys.append(json.loads(line)["key"])
        except json.JSONDecodeError:
            pass
    return keys


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", None])
def test_settings_name_the_key_variable(name):
    assert OpenAITeacherParams(api_key_env=name).api_key_env == name
