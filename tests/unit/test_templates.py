"""Every registered template renders what it should, only what it should, the same way every time."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from components.judges.parsers import OUTPUT_FORMATS, TARGET_FORMATS, format_target, parse
from components.judges.templates import TEMPLATES, get_template, list_templates
from components.schemas import Pair, verdict_from_scores

EXPECTED = {
    "judgeops": ("pairwise", "judgelm"),
    "judgeops_verdict": ("pairwise", "pandalm"),
    "judgelm": ("pairwise", "judgelm"),
    "pandalm": ("pairwise", "pandalm"),
    "mtbench_pair": ("pairwise", "mtbench_pair"),
    "mtbench_single": ("pointwise", "mtbench_single"),
    "prometheus_absolute": ("pointwise", "prometheus_absolute"),
    "prometheus_relative": ("pairwise", "prometheus_relative"),
    "pointwise": ("pointwise", "pointwise"),
}
FIELDS = {
    "id": "p-1",
    "question_id": "q-1",
    "family": "arithmetic",
    "category": "math",
    "instruction": "QUESTION-7f3 What is 17 * 3?",
    "input": "INPUT-2c9 Reply with a number only.",
    "reference": "REFERENCE-91d 51",
    "answer1": "FIRST-a0b 51",
    "answer2": "SECOND-e44 41",
    "source1": "model-a",
    "source2": "model-b",
}
CASES = [
    (name, with_reference)
    for name in sorted(EXPECTED)
    for with_reference in (False, True)
    if TEMPLATES[name].supports_reference or not with_reference
]


@pytest.fixture
def item() -> Pair:
    return Pair(**FIELDS)


def text_of(messages: list[dict[str, str]]) -> str:
    return "\n".join(message["content"] for message in messages)


def test_registry_holds_exactly_the_expected_templates() -> None:
    assert list_templates() == sorted(EXPECTED)
    for name, (kind, output) in EXPECTED.items():
        template = get_template(name)
        assert (template.name, template.kind, template.output) == (name, kind, output)
        assert template.output in OUTPUT_FORMATS


def test_templates_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_template("judgeops").name = "other"


def test_unknown_name_lists_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown judge template 'judge-lm'") as error:
        get_template("judge-lm")
    assert all(name in str(error.value) for name in TEMPLATES)


@pytest.mark.parametrize(("name", "with_reference"), CASES)
def test_renders_chat_messages(item: Pair, name: str, with_reference: bool) -> None:
    messages = get_template(name).render(item, with_reference)
    assert [message["role"] for message in messages] in (["user"], ["system", "user"])
    assert all(set(message) == {"role", "content"} for message in messages)
    assert all(isinstance(message["content"], str) and message["content"].strip() for message in messages)


@pytest.mark.parametrize(("name", "with_reference"), CASES)
def test_reference_appears_only_when_asked(item: Pair, name: str, with_reference: bool) -> None:
    text = text_of(get_template(name).render(item, with_reference))
    assert text.count(item.reference) == (1 if with_reference else 0)


@pytest.mark.parametrize(("name", "with_reference"), CASES)
def test_question_and_answers_appear_once_and_in_order(item: Pair, name: str, with_reference: bool) -> None:
    template = get_template(name)
    text = text_of(template.render(item, with_reference))
    assert text.count(item.instruction) == 1
    assert text.count(item.input) == 1
    assert text.count(item.answer1) == 1
    assert text.index(item.instruction) < text.index(item.answer1)
    if template.kind == "pairwise":
        assert text.count(item.answer2) == 1
        assert text.index(item.answer1) < text.index(item.answer2)
    else:
        assert item.answer2 not in text


@pytest.mark.parametrize(("name", "with_reference"), CASES)
def test_rendering_is_deterministic(name: str, with_reference: bool) -> None:
    template = get_template(name)
    first = template.render(Pair(**FIELDS), with_reference)
    assert template.render(Pair(**FIELDS), with_reference) == first
    assert get_template(name).render(Pair(**FIELDS), with_reference) == first


@pytest.mark.parametrize("name", [name for name in sorted(EXPECTED) if not TEMPLATES[name].supports_reference])
def test_reference_refused_where_unsupported(item: Pair, name: str) -> None:
    with pytest.raises(ValueError, match="takes no reference"):
        get_template(name).render(item, True)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_input_section_without_input(name: str) -> None:
    text = text_of(get_template(name).render(Pair(**{**FIELDS, "input": ""}), False))
    assert "INPUT-2c9" not in text
    assert "### Input:" not in text


@pytest.mark.parametrize(
    ("name", "field", "value", "with_reference"),
    [
        *[(name, "answer1", "", False) for name in sorted(EXPECTED)],
        *[(name, "answer1", "  \n ", False) for name in sorted(EXPECTED)],
        *[(name, "answer2", "", False) for name in sorted(EXPECTED) if EXPECTED[name][0] == "pairwise"],
        *[(name, "instruction", "", False) for name in sorted(EXPECTED)],
        *[(name, "reference", "", True) for name in sorted(EXPECTED) if TEMPLATES[name].supports_reference],
    ],
)
def test_missing_text_is_a_clear_error(name: str, field: str, value: str, with_reference: bool) -> None:
    item = Pair.model_construct(**{**FIELDS, field: value})
    with pytest.raises(ValueError, match=f"^{field} is empty; template '{name}'"):
        get_template(name).render(item, with_reference)


@pytest.mark.parametrize("name", [name for name, (kind, _) in EXPECTED.items() if kind == "pointwise"])
def test_pointwise_templates_ignore_answer2(name: str) -> None:
    item = Pair.model_construct(**{**FIELDS, "answer2": ""})
    assert get_template(name).render(item, False)[-1]["content"].count(FIELDS["answer1"]) == 1


def test_training_template_stays_short(item: Pair) -> None:
    """The fine-tuned judge pays for every prompt token in CPU training time."""
    text = text_of(get_template("judgeops").render(item, True))
    fixed = len(text) - sum(len(FIELDS[name]) for name in ("instruction", "input", "reference", "answer1", "answer2"))
    assert fixed <= 150  # including the one-line system message that replaces the chat default
    assert text.endswith("Score both answers 1-10 on the first line as 's1 s2', then explain.")


SCORES = [1, 2, 5, 7.5, 8, 9.25, 10]
TARGET_CASES = [
    *[("judgelm", s1, s2, verdict_from_scores(s1, s2)) for s1, s2 in itertools.product(SCORES, SCORES)],
    *[("pandalm", None, None, verdict) for verdict in (0, 1, 2)],
    *[("pointwise", score, None, None) for score in SCORES],
]


@pytest.mark.parametrize("reason", ["", "Assistant 1 is right.\nAssistant 2 drops a digit. ✓"])
@pytest.mark.parametrize(("output_format", "score1", "score2", "verdict"), TARGET_CASES)
def test_format_target_round_trips_through_parse(output_format, score1, score2, verdict, reason: str) -> None:
    parsed = parse(output_format, format_target(output_format, score1, score2, verdict, reason))
    assert not parsed.failed
    assert (parsed.score1, parsed.score2, parsed.verdict) == (score1, score2, verdict)


def test_every_target_format_is_covered_and_used_by_a_template() -> None:
    assert {case[0] for case in TARGET_CASES} == set(TARGET_FORMATS)
    assert set(TARGET_FORMATS) <= {template.output for template in TEMPLATES.values()}
