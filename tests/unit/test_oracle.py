"""The oracle teacher: CritiqueLLM's bands, the variant ordering, short reasons, exact symmetry."""

from __future__ import annotations

import random

import pytest

from components.data.families import FAMILIES
from components.data.variants import make_answer
from components.schemas import FIRST, SECOND, TIE, mirror, swap_assistant_mentions
from components.teachers.oracle import MAX_REASON_WORDS, OracleTeacher

NAMES = sorted(FAMILIES)
VARIANTS = ["correct", "wrong", "partial", "verbose", "truncated", "off_format", "refusal", "irrelevant"]
ORACLE = OracleTeacher()


def answers(name: str, question) -> dict[str, str]:
    family = FAMILIES[name]
    return {v: make_answer(v, question, family, random.Random(f"{question.id}:{v}")) for v in VARIANTS}


@pytest.mark.parametrize("name", NAMES)
def test_scores_follow_the_variant_ordering(name):
    for q in FAMILIES[name].questions(random.Random(3), 10):
        s = {v: ORACLE.grade(q, text).score for v, text in answers(name, q).items()}
        assert all(1 <= score <= 10 for score in s.values())
        assert ORACLE.grade(q, q.reference).score == 10
        assert s["correct"] >= 9
        assert s["correct"] > max(s["verbose"], s["off_format"]) >= min(s["verbose"], s["off_format"]) >= 7
        assert min(s["verbose"], s["off_format"]) >= s["partial"] > s["wrong"], s
        assert s["wrong"] >= max(s["refusal"], s["irrelevant"]) and s["truncated"] < s["partial"], s


def test_bands_for_answers_nobody_wrote_as_variants():
    q = FAMILIES["arithmetic"].questions(random.Random(0), 1)[0]
    assert ORACLE.grade(q, "   ").score == 1
    assert ORACLE.grade(q, "I'm sorry, I cannot do maths.").score == 1
    assert ORACLE.grade(q, f"The answer is {q.check['answer']}.").score == 10
    assert ORACLE.grade(q, f"{q.check['answer']}. " + "Numbers are fun to add and multiply. " * 6).score == 8


def test_realistic_free_text_is_graded_right():
    capitals = FAMILIES["capitals"].questions(random.Random(0), 140)
    paris = next(q for q in capitals if q.check["answer"] == "Paris")
    assert ORACLE.grade(paris, "Paris is the capital of France.").score == 10
    assert ORACLE.grade(paris, "The capital of France is Berlin.").score == 2
    grade = ORACLE.grade(paris, "Berlin or Paris, I think.")
    assert grade.score == 6 and "Paris" in grade.reason


@pytest.mark.parametrize("name", NAMES)
def test_judge_pair_is_exactly_symmetric(name):
    rng = random.Random(name)
    for q in FAMILIES[name].questions(random.Random(5), 6):
        texts = list(answers(name, q).values()) + [q.reference]
        for _ in range(12):
            a, b = rng.choice(texts), rng.choice(texts)
            forward, backward = ORACLE.judge_pair(q, a, b), ORACLE.judge_pair(q, b, a)
            assert (backward.score1, backward.score2) == (forward.score2, forward.score1)
            assert backward.verdict == mirror(forward.verdict)
            assert backward.reason == swap_assistant_mentions(forward.reason)
            assert forward == ORACLE.judge_pair(q, a, b)


@pytest.mark.parametrize("name", NAMES)
def test_reasons_are_short_and_agree_with_the_scores(name):
    q = FAMILIES[name].questions(random.Random(9), 1)[0]
    texts = answers(name, q)
    for first in VARIANTS:
        for second in VARIANTS:
            label = ORACLE.judge_pair(q, texts[first], texts[second])
            assert len(label.reason.split()) <= MAX_REASON_WORDS, label.reason
            assert label.verdict == (
                FIRST if label.score1 > label.score2 else SECOND if label.score2 > label.score1 else TIE
            )
            if label.verdict == TIE:
                assert label.reason.endswith("A tie.")
            else:
                assert label.reason.endswith(f"Assistant {label.verdict} is better.")
                assert label.reason.startswith(f"Assistant {label.verdict} is ")


def test_the_reason_names_what_is_right_and_wrong():
    q = FAMILIES["arithmetic"].questions(random.Random(0), 1)[0]
    right, wrong = q.check["answer"], q.check["answer"] + 1
    label = ORACLE.judge_pair(q, f"The answer is {wrong}.", f"It is {right}.")
    assert (label.score1, label.score2, label.verdict) == (2, 10, SECOND)
    assert label.reason == (
        f"Assistant 2 is correct and concise: gives {right}; "
        f"Assistant 1 is wrong: gives {wrong}, not {right}. Assistant 2 is better."
    )
    same = ORACLE.judge_pair(q, f"It is {right}.", f"{right}")
    assert same.reason == f"Both are correct and concise: gives {right}. A tie."
