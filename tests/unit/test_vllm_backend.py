"""The vLLM backend is untested here (no GPU); what a user without vLLM gets is a clear error."""

import sys

import pytest

from components.judges.base import both_orders
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
