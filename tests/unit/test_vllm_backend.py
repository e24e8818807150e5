"""The vLLM backend is untested here (no GPU); what a user without vLLM gets is a clear error, and what
needs no engine -- template copies for the format probe, the cache identity, what it asks a stand-in engine
for and makes of its answers -- is tested."""

import math
import sys
from types import SimpleNamespace

import pytest

from components.judges.base import both_orders
from components.judges.identity import identity_of
from components.judges.vllm import INSTALL_HINT, VLLMJudge
from components.schemas import FIRST
from tests.factories import arithmetic_pairs


def test_a_missing_vllm_is_a_clear_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)
    judge = VLLMJudge("gpu", "/models/judge-7b")
    with pytest.raises(RuntimeError, match=r"pip install 'judgeops\[vllm\]'"):
        judge._engine()
    assert "judgeops[vllm]" in INSTALL_HINT


def test_it_refuses_a_pointwise_template_before_loading_anything():
    with pytest.raises(ValueError, match="pointwise"):
        VLLMJudge("gpu", "/models/judge-7b", template="pointwise")
    assert both_orders(arithmetic_pairs(1))


def test_a_template_copy_shares_the_engine_and_is_another_judge_to_the_cache(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    judge = VLLMJudge("gpu", str(tmp_path))
    copy = judge.with_template("judgelm")
    assert (copy.template, judge.template) == ("judgelm", "judgeops")
    judge.engine["llm"] = engine = object()  # started later, by either one
    assert copy._engine() is engine
    assert identity_of(copy) != identity_of(judge)
    assert identity_of(VLLMJudge("gpu", str(tmp_path), tensor_parallel_size=2)) == identity_of(judge)


class FakeLogprob:
    """vLLM's ``Logprob``: a token's logprob, its rank among the alternatives, and its text."""

    def __init__(self, logprob: float, rank: int, decoded_token: str):
        self.logprob, self.rank, self.decoded_token = logprob, rank, decoded_token


class FakeEngine:
    """Stands in for ``vllm.LLM``: writes "10 7" with logprobs (token ids are positions in ``TOKENS``) and
    records the sampling parameters it was asked for."""

    TOKENS = ["1", "0", " ", "7", "8", "The"]

    def __init__(self):
        self.asked = []

    def get_tokenizer(self):
        return SimpleNamespace(apply_chat_template=lambda messages, **options: messages[-1]["content"])

    def generate(self, prompts, sampling, lora_request=None):
        self.asked.append(sampling)
        steps = [{0: 0.9, 5: 0.05}, {1: 0.8, 2: 0.2}, {2: 1.0}, {3: 0.6, 4: 0.3}]
        logprobs = [
            {
                token: FakeLogprob(math.log(p), rank, self.TOKENS[token])
                for rank, (token, p) in enumerate(step.items(), 1)
            }
            for step in steps
        ]
        done = SimpleNamespace(text="10 7", token_ids=[0, 1, 2, 3], logprobs=logprobs)
        return [SimpleNamespace(outputs=[done]) for _ in prompts]


@pytest.fixture
def fake_vllm(monkeypatch):
    module = SimpleNamespace(SamplingParams=lambda **options: options, LLM=None)
    lora = SimpleNamespace(LoRARequest=lambda *args: args)
    monkeypatch.setitem(sys.modules, "vllm", module)
    monkeypatch.setitem(sys.modules, "vllm.lora", SimpleNamespace(request=lora))
    monkeypatch.setitem(sys.modules, "vllm.lora.request", lora)
    return FakeEngine()


def test_logprob_mode_asks_vllm_for_logprobs_and_reads_the_line_as_an_api_judge_does(fake_vllm, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    judge = VLLMJudge("gpu", str(tmp_path), mode="logprob")
    judge.engine["llm"] = fake_vllm
    (judgment,) = judge.judge(both_orders(arithmetic_pairs(1))[:1])
    assert fake_vllm.asked == [{"temperature": 0.0, "max_tokens": 8, "logprobs": 20}]
    assert (judgment.raw, judgment.verdict, judgment.failed) == ("10 7", FIRST, False)
    assert judgment.score1 == pytest.approx((1 * 0.9 * 0.2 + 10 * 0.9 * 0.8) / 0.9)
    assert judgment.score2 == pytest.approx((7 * 0.6 + 8 * 0.3) / 0.9)
    assert identity_of(judge) != identity_of(VLLMJudge("gpu", str(tmp_path)))


def test_score_first_still_decodes_the_first_line(fake_vllm):
    judge = VLLMJudge("gpu", "/models/judge-7b")
    judge.engine["llm"] = fake_vllm
    (judgment,) = judge.judge(both_orders(arithmetic_pairs(1))[:1])
    assert fake_vllm.asked == [{"temperature": 0.0, "max_tokens": 64, "stop": ["\n"]}]
    assert (judgment.raw, judgment.verdict) == ("10 7", FIRST)


def test_the_vllm_spec_keeps_logprob_mode():
    from components.config import load_params
    from components.judges.spec import judge_from_spec
    from tests.conftest import REPO

    params = load_params(REPO / "params.yaml")
    assert params.judge.mode == "logprob"
    judge = judge_from_spec("vllm:/models/judge-7b", params)
    assert judge.mode == "logprob" and judge.with_template("mtbench_pair").mode == "score_first"
