"""The vLLM backend is untested here (no GPU); what a user without vLLM gets is a clear error, and what
needs no engine -- template copies for the format probe, the cache identity -- is tested."""

import sys

import pytest

from components.judges.base import both_orders
from components.judges.identity import identity_of
from components.judges.vllm import INSTALL_HINT, VLLMJudge
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
