"""Task families: seeded and distinct questions, verifiers that pass the right answers and only them,
free-text reading, and the shipped fact tables."""

from __future__ import annotations

import random

import pytest

from components.data.facts import pool, table
from components.data.families import FAMILIES, get_family
from components.data.numbers import numbers, to_words, word_numbers
from components.data.text import normalize
from components.data.variants import make_answer
from components.vocabulary import VARIANTS

NAMES = sorted(FAMILIES)
CATEGORIES = {
    "fundamental",
    "open_qa",
    "writing",
    "logical_reasoning",
    "mathematics",
    "professional_knowledge",
}
KNOWLEDGE = {"capitals", "elements", "planets"}


def questions(name: str, n: int = 12, seed: int = 7):
    return FAMILIES[name].questions(random.Random(seed), n)


def variant(name: str, question, kind: str, salt: int = 0) -> str:
    return make_answer(kind, question, FAMILIES[name], random.Random(f"{question.id}:{kind}:{salt}"))


def find_question(name: str, **check):
    """A question of the family whose check data holds the given values."""
    for q in FAMILIES[name].questions(random.Random(0), {"capitals": 140, "elements": 160, "planets": 54}[name]):
        if all(q.check.get(k) == v for k, v in check.items()):
            return q
    raise AssertionError(f"no {name} question with {check}")


def test_a_family_is_found_by_name_or_the_error_says_it_is_unknown():
    assert get_family("capitals") is FAMILIES["capitals"]
    with pytest.raises(KeyError, match="unknown task family"):
        get_family("poetry")


@pytest.mark.parametrize("name", NAMES)
def test_questions_are_deterministic_distinct_and_labelled(name):
    first, again, other = questions(name), questions(name), questions(name, seed=8)
    assert first == again
    assert first != other
    assert [q.id for q in first] == [f"{name}-{k:04d}" for k in range(12)]
    assert len({(q.instruction, q.input) for q in first}) == 12
    for q in first:
        assert (q.family, q.needs_knowledge) == (name, name in KNOWLEDGE)
        assert q.category in CATEGORIES


def test_a_family_refuses_more_questions_than_it_has():
    with pytest.raises(ValueError, match="distinct questions"):
        FAMILIES["planets"].questions(random.Random(0), 60)


@pytest.mark.parametrize("name", NAMES)
def test_reference_and_paraphrases_pass(name):
    family = FAMILIES[name]
    for q in questions(name):
        assert family.check(q, q.reference).passed, (q.instruction, q.reference)
        for salt in range(3):
            text = variant(name, q, "correct", salt)
            assert family.check(q, text).passed, (q.instruction, text)


@pytest.mark.parametrize("name", NAMES)
def test_failure_variants_fail_in_their_own_way(name):
    family = FAMILIES[name]
    for q in questions(name):
        wrong, partial, off = (family.check(q, variant(name, q, v)) for v in ("wrong", "partial", "off_format"))
        assert (wrong.correct, wrong.partial, wrong.answered) == (False, False, True), wrong
        assert not partial.correct and partial.partial, partial
        assert off.correct and not off.format_ok, off
        for kind in ("truncated", "refusal", "irrelevant"):
            check = family.check(q, variant(name, q, kind))
            assert not (check.correct or check.partial or check.answered), (kind, check)
        verbose = family.check(q, variant(name, q, "verbose"))
        assert verbose.correct, verbose


@pytest.mark.parametrize("kind", VARIANTS)
def test_variants_are_deterministic_and_differ_from_the_reference(kind):
    q = questions("arithmetic")[0]
    assert variant("arithmetic", q, kind) == variant("arithmetic", q, kind)
    assert variant("arithmetic", q, kind) != q.reference or kind == "correct"


def test_unknown_variant_is_named():
    with pytest.raises(KeyError, match="unknown answer variant"):
        make_answer("sarcastic", questions("arithmetic")[0], FAMILIES["arithmetic"], random.Random(0))


@pytest.mark.parametrize(
    "answer, passed",
    [
        ("The answer is {a}.", True),
        ("{a}", True),
        ("Let me think step by step. First {s}, then the total is {a}.", True),
        ("{a} is the answer", True),
        ("I think it is {a_plus_one}.", False),
        ("It is {words}.", False),
        ("", False),
    ],
)
def test_arithmetic_reads_the_last_new_number(answer, passed):
    q = questions("arithmetic")[0]
    a, s = q.check["answer"], q.check["steps"][0]
    text = answer.format(a=a, s=s, a_plus_one=a + 1, words=to_words(a))
    assert FAMILIES["arithmetic"].check(q, text).passed is passed


@pytest.mark.parametrize(
    "answer, passed, partial",
    [
        ("Paris is the capital of France.", True, False),
        ("The capital of France is Paris, known for the Eiffel Tower.", True, False),
        ("PARIS", True, False),
        ("Berlin.", False, False),
        ("It is either Paris or Lyon or maybe Madrid.", False, True),
        ("I am not sure.", False, False),
    ],
)
def test_capitals_need_the_right_city_and_no_other_capital(answer, passed, partial):
    q = find_question("capitals", answer="Paris")
    check = FAMILIES["capitals"].check(q, answer)
    assert (check.passed, check.partial) == (passed, partial)


def test_free_text_across_families():
    assert FAMILIES["capitals"].check(find_question("capitals", answer="France"), "It's France, of course.").passed
    element = find_question("elements", answer="Fe")
    assert FAMILIES["elements"].check(element, "Iron's symbol is Fe.").passed
    assert not FAMILIES["elements"].check(element, "Iron's symbol is F.").correct
    mars = find_question("planets", answer=4)
    assert FAMILIES["planets"].check(mars, "Mars is the fourth planet from the Sun.").passed
    assert FAMILIES["planets"].check(mars, "It is the 4th planet.").passed


def test_echoing_the_question_does_not_count_as_naming_its_options():
    q = find_question("planets", pool="planet_types", answer="gas giant")
    assert FAMILIES["planets"].check(q, f"{q.instruction} Jupiter is a gas giant.").passed
    assert not FAMILIES["planets"].check(q, q.instruction).answered


def test_number_reading():
    assert numbers("12 + 7 = 19, not -6 or 1,250.5; see 2024-03-01 and 45 - 51") == [
        12,
        7,
        19,
        -6,
        1250.5,
        2024,
        45,
        51,
    ]
    assert word_numbers("two hundred and five, minus three, the fourth, twenty-one") == [205, -3, 4, 21]
    assert to_words(348) == "three hundred and forty-eight"
    assert word_numbers(to_words(1_234_567)) == [1_234_567]


def test_fact_tables_are_sane():
    capitals, elements, planets = table("capitals"), table("elements"), table("planets")
    assert 60 <= len(capitals) <= 80 and 38 <= len(elements) <= 45 and len(planets) == 8
    assert len({r["country"] for r in capitals}) == len({r["capital"] for r in capitals}) == len(capitals)
    for key in ("number", "symbol", "name"):
        assert len({r[key] for r in elements}) == len(elements)
    assert [r["number"] for r in elements] == sorted(r["number"] for r in elements)
    assert [r["order"] for r in planets] == list(range(1, 9))
    by_country = {r["country"]: r["capital"] for r in capitals}
    assert (by_country["France"], by_country["Australia"], by_country["Canada"]) == (
        "Paris",
        "Canberra",
        "Ottawa",
    )
    assert {r["symbol"]: r["number"] for r in elements}["Fe"] == 26
    for row in capitals:
        assert sum(r["region"] == row["region"] for r in capitals) >= 2, row


def test_sets_never_count_a_distractor_as_a_member():
    names = [s["name"] for s in table("sets")]
    assert len(set(names)) == len(names)
    for group in table("sets"):
        members = {normalize(a) for m in group["members"] for a in m}
        assert not members & {normalize(d) for d in group["distractors"]}, group["name"]
        assert len(group["members"]) >= 4 and len(group["distractors"]) >= 4


def test_pools_hold_every_entity_once():
    assert len(pool("capitals")) == len(table("capitals"))
    assert ("Washington, D.C.", "Washington") in pool("capitals")
    assert ("He",) not in pool("element_symbols")
    assert len(pool("weekdays")) == 7 and len(pool("planet_types")) == 3


@pytest.mark.parametrize("name", NAMES)
def test_a_stored_question_grades_the_same(name):
    for q in questions(name, n=4):
        stored = type(q).model_validate_json(q.model_dump_json())
        for kind in ("correct", "wrong", "partial", "off_format"):
            text = variant(name, q, kind)
            assert FAMILIES[name].check(stored, text) == FAMILIES[name].check(q, text)
