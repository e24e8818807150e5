"""The judgment caches keep answers, and only for the judge that gave them: another judge, template,
decoding setting, set of weights or endpoint misses; a failure from an API is asked again on the next run,
while a local deterministic judge's failure is kept (asking again would write the same line)."""

from __future__ import annotations

import functools
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
from components.models import load_smollm2_tokenizer
from components.schemas import Judgment
from tests.factories import arithmetic_pairs
from tests.fakes import SECRET

ITEMS = both_orders(arithmetic_pairs(3))
ANSWER = "8 3\nAssistant 1 is right."


@functools.cache
def tokenizer():
    return load_smollm2_tokenizer()


def model_folder(root: Path) -> Path:
    """A model folder as far as a fingerprint and a prompt can tell: a config, a weights file (never loaded
    here) and the tokenizer (a judgment is keyed by the prompt text it sends)."""
    folder = root / "model"
    folder.mkdir(exist_ok=True)
    tokenizer().save_pretrained(folder)
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / "model.safetensors").write_bytes(b"weights v1")
    return folder


def answering(judge):
    """``judge`` with its judging replaced by the oracle's (the cache, not the model, is under test)."""
    template = judge.template if templates.get_template(judge.template).kind == "pairwise" else "judgeops"
    judge.judge = lambda items: Oracle(name=judge.name, template=template).judge(items)
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


# -- keyed by the prompt each judgment sent ---------------------------------------------------------------

PROMPTED = [
    ("local", lambda f: hf(f)),
    ("local pointwise", lambda f: hf(f, template="pointwise")),
    ("api", lambda f: api()),
]


@pytest.mark.parametrize("kind, make", PROMPTED, ids=[case[0] for case in PROMPTED])
def test_a_changed_prompt_for_pairs_without_an_input_misses_the_cache(tmp_path, monkeypatch, kind, make):
    """The template's fixed canary pair has an input; these pairs have none (as most families): the branch
    they take must reach the key too, because the key is the prompt each judgment sent."""
    folder, cache = model_folder(tmp_path), tmp_path / "judgments.jsonl"
    assert not any(item.pair.input for item in ITEMS)
    judge_cached(make(folder), ITEMS, cache)
    assert judge_cached(make(folder), ITEMS, cache)[1] == len(ITEMS)
    plain = templates._question
    monkeypatch.setattr(templates, "_question", lambda item: plain(item) if item.input.strip() else f"Q: {plain(item)}")
    assert judge_cached(make(folder), ITEMS, cache)[1] == 0, kind


def test_a_prompt_cut_to_another_length_misses_the_cache(tmp_path):
    """Truncation happens outside the template: a judge whose prompts are cut otherwise misses (here the
    answers are cut under both limits; the limit itself is not what tells them apart)."""
    folder, cache = model_folder(tmp_path), tmp_path / "judgments.jsonl"
    long_items = both_orders(
        [pair.model_copy(update={"answer1": "one " * 200, "answer2": "two " * 150}) for pair in arithmetic_pairs(2)]
    )
    judge = hf(folder, max_prompt_tokens=200)
    prompts = [judge.sent(item) for item in long_items]
    assert all("[...]" in prompt[0] for prompt in prompts)
    judge_cached(judge, long_items, cache)
    assert judge_cached(hf(folder, max_prompt_tokens=200), long_items, cache)[1] == len(long_items)
    shorter = hf(folder, max_prompt_tokens=150)
    assert [shorter.sent(item) for item in long_items] != prompts
    assert judge_cached(shorter, long_items, cache)[1] == 0


def test_a_logprob_answer_read_as_text_is_not_replayed_as_a_logprob_reading(tmp_path, fake_server):
    """An endpoint that sends no logprobs is read as text: that judgment is cached as a text reading, so a
    logprob judge (the endpoint now sending logprobs) asks again instead of replaying it."""
    sends = {"logprobs": False}
    entries = [
        {"token": token, "logprob": 0.0, "top_logprobs": [{"token": token, "logprob": 0.0}]}
        for token in ("8", " ", "3", "\n")
    ]
    fake = fake_server(reply=lambda body: ANSWER, logprobs=lambda body: entries if sends["logprobs"] else None)
    cache = tmp_path / "judgments.jsonl"

    def run() -> tuple[list[Judgment], int]:
        with LLMClient(fake.url, "gpt-test") as client:
            return judge_cached(OpenAIJudge("api", client, mode="logprob"), ITEMS, cache)

    as_text, reused = run()
    assert reused == 0 and all(j.confidence is None and not j.failed for j in as_text), "read as text"
    assert len(cache.read_text().splitlines()) == len(ITEMS), "the text readings are cached"
    sends["logprobs"] = True
    read, reused = run()
    assert reused == 0, "a text reading is never served where a logprob reading is looked up"
    assert all(j.confidence is not None for j in read)
    assert run()[1] == len(ITEMS)


def test_an_endpoint_serving_other_weights_under_the_same_name_misses_both_caches(tmp_path, fake_server):
    fake = fake_server(reply=lambda body: ANSWER)
    fake.fingerprint = "fp_v1"
    judgments, responses = tmp_path / "judgments.jsonl", tmp_path / "responses.jsonl"

    def run() -> tuple[list[Judgment], int, int]:
        with LLMClient(fake.url, "gpt-test", cache=responses, max_retries=0) as client:
            sent = len(fake.requests)
            judged, reused = judge_cached(OpenAIJudge("api", client), ITEMS, judgments)
            assert identity_of(OpenAIJudge("api", client))["system_fingerprint"] == fake.fingerprint
            return judged, reused, len(fake.requests) - sent

    assert run()[1:] == (0, len(ITEMS))
    assert run()[1:] == (len(ITEMS), 0)
    fake.fingerprint = "fp_v2"  # the alias moved and the server was restarted on the new version
    judged, reused, sent = run()
    assert (reused, sent) == (0, len(ITEMS)) and not any(j.failed for j in judged)


def test_an_endpoint_whose_weights_change_during_a_run_fails_those_requests(tmp_path, fake_server):
    fake = fake_server(reply=lambda body: ANSWER)
    fake.fingerprint = "fp_v1"
    with LLMClient(fake.url, "gpt-test", max_retries=0) as client:
        judge = OpenAIJudge("api", client)
        identity_of(judge)  # the run begins: the endpoint states fp_v1
        fake.fingerprint = "fp_v2"
        judged = judge.judge(ITEMS)
    assert all(j.failed and "now serves other weights" in j.failure for j in judged)
