"""The ct2 engine: the tiny Llama converted to CTranslate2 reads the score lines torch reads, by the same code."""

import pytest

from components.config import JudgeParams
from components.judges import ct2
from components.judges.base import both_orders
from components.judges.hf import HFJudge
from tests.factories import arithmetic_pairs

pytest.importorskip("ctranslate2")
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def conversions(tmp_path, monkeypatch):
    monkeypatch.setattr(ct2, "CT2_CACHE", tmp_path / "ct2")
    return tmp_path / "ct2"


def judge(tiny_model_dir, template: str, **engine) -> HFJudge:
    return HFJudge("tiny", tiny_model_dir, template=template, mode="logprob", min_score_mass=0.0, **engine)


@pytest.mark.parametrize("template", ["judgeops", "pointwise", "pandalm"])
def test_float32_ct2_reads_the_score_lines_torch_reads(tiny_model_dir, template):
    """judgeops' score line takes two feeds (the second after hiding the probe), pointwise and pandalm one."""
    items = both_orders(arithmetic_pairs(3))
    reference = judge(tiny_model_dir, template).judge(items)
    converted = judge(tiny_model_dir, template, engine="ct2", ct2_compute_type="float32").judge(items)
    assert [j.raw for j in converted] == [j.raw for j in reference]
    assert [j.verdict for j in converted] == [j.verdict for j in reference]
    for ours, theirs in zip(converted, reference, strict=True):
        read = [(a, b) for a, b in zip(numbers(ours), numbers(theirs), strict=True) if b is not None]
        assert read and [a for a, _ in read] == pytest.approx([b for _, b in read], rel=1e-3, abs=1e-4)


def numbers(judgment) -> tuple:
    return judgment.score1, judgment.score2, judgment.confidence


def test_a_conversion_is_made_once_per_weights_and_type_and_judged_under_its_own_identity(tiny_model_dir, conversions):
    first = ct2.converted(tiny_model_dir, None, "int8")
    made = (first / "model.bin").stat().st_mtime_ns
    assert ct2.converted(tiny_model_dir, None, "int8") == first and (first / "model.bin").stat().st_mtime_ns == made
    assert ct2.converted(tiny_model_dir, None, "float32") != first
    assert sorted(p.name for p in conversions.iterdir()) == sorted(
        [first.name, ct2.converted(tiny_model_dir, None, "float32").name]
    )
    torch_id = judge(tiny_model_dir, "pointwise").cache_identity()
    int8_id = judge(tiny_model_dir, "pointwise", engine="ct2").cache_identity()
    assert "engine" not in torch_id and int8_id["engine"] == "ct2:int8"
    assert {k: v for k, v in int8_id.items() if k != "engine"} == torch_id


def test_the_engine_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="logprob mode only"):
        HFJudge("tiny", "unused", mode="score_first", engine="ct2")
    with pytest.raises(ValueError, match="logprob mode only"):
        JudgeParams(mode="generate", engine="ct2")
    with pytest.raises(ValueError, match="unknown judge engine 'onnx'"):
        HFJudge("tiny", "unused", mode="logprob", engine="onnx")


def test_a_template_the_engine_cannot_read_is_decoded_by_torch(tiny_model_dir):
    """The format probe's copies: a layout whose output logprob mode cannot read falls back to torch."""
    converted = judge(tiny_model_dir, "pointwise", engine="ct2")
    other = converted.with_template("mtbench_single")
    assert (other.engine, other.mode, other.model) == ("torch", "score_first", None)
    same_kind = converted.with_template("judgeops")
    assert (same_kind.engine, same_kind.mode) == ("ct2", "logprob") and same_kind.model is converted.model
