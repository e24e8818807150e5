"""The judgment caches keep answers, and only for the judge that gave them: another judge, template,
decoding setting, set of weights or endpoint misses; a failure from an API is asked again on the next run,
while a local deterministic judge's failure is kept (asking again would write the same line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.judges import templates
from components.judges.base import both_orders
from components.judges.cache import judge_cached, keeps
from components.judges.hf import HFJudge
from components.judges.identity import identity_of
from components.judges.openai import OpenAIJudge
from components.judges.scripted import AlwaysFirst, Oracle
from components.judges.vllm import VLLMJudge
from components.llm_client import LLMClient
from components.schemas import Judgment
from tests.factories import arithmetic_pairs
from tests.fakes import SECRET

ITEMS = both_orders(arithmetic_pairs(3))
ANSWER = "8 3\nAssistant 1 is right."


def model_folder(root: Path) -> Path:
    """A model folder as far as a fingerprint can tell: a config and a weights file (never loaded here)."""
    folder = root / "model"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / "model.safetensors").write_bytes(b"weights v1")
    return folder


def answering(judge):
    """``judge`` with its judging replaced by the oracle's (the cache, not the model, is under test)."""
    judge.judge = lambda items: Oracle(name=judge.name, template=judge.template).judge(items)
    return judge


def hf(folder: Path, **changes) -> HFJudge:
    return answering(HFJudge("local", folder, **{"mode": "score_first"} | changes))


def api(url: str = "http://127.0.0.1:9/v1", **client_changes) -> OpenAIJudge:
    return answering(OpenAIJudge("api", LLMClient(url, **{"model": "gpt-test"} | client_changes)))


def rewrite_weights(folder: Path) -> HFJudge:
    (folder / "model.safetensors").write_bytes(b"weights v2")
    return hf(folder)


# (what changed between two runs into one cache file, the first judge, the second, whether it may reuse)
CASES = [
    ("nothing (scripted)", lambda f: Oracle(), lambda f: Oracle(), True),
    ("the scripted judge", lambda f: AlwaysFirst(), lambda f: Oracle(), False),
    ("the scripted judge's template", lambda f: Oracle(), lambda f: Oracle(template="judgelm"), False),
    ("nothing (local)", lambda f: hf(f), lambda f: hf(f), True),
    ("only the batch size", lambda f: hf(f), lambda f: hf(f, batch_size=3), True),
    ("the local template", lambda f: hf(f), lambda f: hf(f, template="judgelm"), False),
    ("the decoding mode", lambda f: hf(f), lambda f: hf(f, mode="generate"), False),
    ("max_new_tokens", lambda f: hf(f), lambda f: hf(f, max_new_tokens=8), False),
    ("with_reference", lambda f: hf(f), lambda f: hf(f, with_reference=False), False),
    ("max_prompt_tokens", lambda f: hf(f), lambda f: hf(f, max_prompt_tokens=256), False),
    ("the weights", lambda f: hf(f), rewrite_weights, False),
    ("nothing (api)", lambda f: api(), lambda f: api(), True),
    ("only timeouts and retries", lambda f: api(), lambda f: api(timeout_s=1, max_retries=0), True),
    ("the endpoint", lambda f: api(), lambda f: api("http://127.0.0.1:10/v1"), False),
    ("the api model", lambda f: api(), lambda f: api(model="gpt-other"), False),
    ("the temperature", lambda f: api(), lambda f: api(temperature=0.7), False),
    ("max_tokens", lambda f: api(), lambda f: api(max_tokens=16), False),
]


@pytest.mark.parametrize("changed, first, second, reuses", CASES, ids=[case[0] for case in CASES])
def test_a_judgment_is_reused_only_by_the_judge_that_made_it(tmp_path, changed, first, second, reuses):
    folder, cache = model_folder(tmp_path), tmp_path / "judgments.jsonl"
    judged, reused = judge_cached(first(folder), ITEMS, cache)
    assert reused == 0 and len(judged) == len(ITEMS)
    again, reused = judge_cached(second(folder), ITEMS, cache)
    assert reused == (len(ITEMS) if reuses else 0), f"changed: {changed}"
    if reuses:
        assert again == judged


def test_an_edited_template_wording_misses_the_cache(tmp_path, monkeypatch):
    cache = tmp_path / "judgments.jsonl"
    judge_cached(Oracle(), ITEMS, cache)
    assert judge_cached(Oracle(), ITEMS, cache)[1] == len(ITEMS)
    monkeypatch.setattr(templates, "JUDGE_SYSTEM", "You are a strict judge.")
    assert judge_cached(Oracle(), ITEMS, cache)[1] == 0


def test_a_changed_adapter_misses_and_a_missing_model_folder_is_named(tmp_path):
    folder = model_folder(tmp_path)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_model.safetensors").write_bytes(b"lora v1")
    before = identity_of(HFJudge("local", folder, adapter=adapter))
    (adapter / "adapter_model.safetensors").write_bytes(b"lora v2")
    assert identity_of(HFJudge("local", folder, adapter=adapter)) != before
    with pytest.raises(FileNotFoundError, match="not a model folder"):
        identity_of(HFJudge("local", tmp_path / "nowhere"))


# What a backend's failed judgment is: kept where judging again writes the same line, asked again where not.
FAILURES_REPEAT = [
    (lambda f: Oracle(), True),
    (lambda f: HFJudge("local", f), True),
    (lambda f: VLLMJudge("gpu", str(f)), True),
    (lambda f: OpenAIJudge("api", LLMClient("http://127.0.0.1:9/v1", "gpt-test")), False),
]


@pytest.mark.parametrize("make, kept", FAILURES_REPEAT, ids=["scripted", "hf", "vllm", "openai"])
def test_the_failure_rule_per_backend(tmp_path, make, kept):
    failed = Judgment(pair_id="p", judge="j", order="original", template="judgeops", raw="?", failed=True, failure="x")
    answered = failed.model_copy(update={"failed": False, "failure": "", "verdict": 1})
    judge = make(model_folder(tmp_path))
    assert keeps(judge, answered), "an answer is always kept"
    assert keeps(judge, failed) == kept


def test_a_local_deterministic_failure_is_kept_and_not_judged_again(tmp_path):
    unlabeled = [item.pair.model_copy(update={"verdict": None}) for item in ITEMS[:2]]
    items = both_orders(unlabeled)
    cache = tmp_path / "judgments.jsonl"
    first, _ = judge_cached(Oracle(), items, cache)
    assert all(judgment.failed for judgment in first), "no gold label: the oracle cannot say"
    again, reused = judge_cached(Oracle(), items, cache)
    assert reused == len(items) and again == first


# (what goes wrong on the first run: an HTTP status to answer every request with, or the reply text)
API_FAILURES = [
    ("a 500 after every retry", 500, ANSWER),
    ("an unparseable answer", None, "I like both."),
    ("an empty answer", None, ""),
]


@pytest.mark.parametrize("what, status, reply", API_FAILURES, ids=[case[0] for case in API_FAILURES])
def test_an_api_failure_is_asked_again_on_the_next_run_and_an_answer_is_not(
    tmp_path, fake_server, monkeypatch, what, status, reply
):
    monkeypatch.setenv("JUDGEOPS_TEST_KEY", SECRET)
    broken = {"now": True}
    fake = fake_server(
        script=lambda n, body: status if broken["now"] else None,
        reply=lambda body: reply if broken["now"] else ANSWER,
    )
    judgments, responses = tmp_path / "judgments.jsonl", tmp_path / "responses.jsonl"

    def run() -> tuple[list[Judgment], int, int]:
        client = LLMClient(
            fake.url, "gpt-test", api_key_env="JUDGEOPS_TEST_KEY", cache=responses, max_retries=1, backoff_s=0.01
        )
        with client:
            sent = len(fake.requests)
            judged, reused = judge_cached(OpenAIJudge("api", client), ITEMS, judgments)
            return judged, reused, len(fake.requests) - sent

    failed, reused, _ = run()
    assert reused == 0 and all(judgment.failed for judgment in failed), what
    broken["now"] = False
    judged, reused, sent = run()
    assert reused == 0 and sent == len(ITEMS), f"{what}: asked again, not replayed from either cache"
    assert not any(judgment.failed for judgment in judged)
    _, reused, sent = run()
    assert reused == len(ITEMS) and sent == 0, "an answer is cached"
    for path in (judgments, responses):
        assert SECRET not in path.read_text()
    rows = [json.loads(line) for line in judgments.read_text().splitlines()]
    assert len(rows) == len(ITEMS) and not any(row["judgment"]["failed"] for row in rows)
