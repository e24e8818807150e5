"""Near-duplicate filtering by ROUGE-L and per-category balancing."""

from __future__ import annotations

import random

from components.data.dedup import balance, drop_near_duplicates
from components.data.families import FAMILIES
from components.schemas import Question


def question(k: int, instruction: str, family: str = "arithmetic", category: str = "mathematics") -> Question:
    return Question(id=f"q{k}", family=family, category=category, instruction=instruction, reference="x")


def test_near_duplicates_go_and_distinct_questions_stay():
    items = [
        question(0, "Explain why the sky looks blue on a clear summer afternoon."),
        question(1, "Explain why the sky looks blue on a clear summer afternoon!"),
        question(2, "Explain why the sky looks blue on a clear winter afternoon."),
        question(3, "List three prime numbers larger than one hundred."),
    ]
    kept, dropped = drop_near_duplicates(items, 0.9)
    assert [q.id for q in kept] == ["q0", "q3"]
    assert [q.id for q in dropped] == ["q1", "q2"]


def test_threshold_one_drops_only_exact_duplicates():
    items = [question(0, "What is 2 + 2?"), question(1, "What is 2 + 2?"), question(2, "What is 2 + 3?")]
    kept, dropped = drop_near_duplicates(items, 1.0)
    assert [q.id for q in kept] == ["q0", "q2"] and [q.id for q in dropped] == ["q1"]


def test_generated_questions_with_different_answers_are_not_duplicates():
    items = [
        q for name in ("capitals", "elements", "lowercase") for q in FAMILIES[name].questions(random.Random(1), 12)
    ]
    kept, dropped = drop_near_duplicates(items, 0.9)
    assert dropped == [] and kept == items


def test_balance_caps_each_category_and_takes_families_in_turn():
    items = [question(k, f"a{k}", "arithmetic") for k in range(4)]
    items += [question(10 + k, f"u{k}", "units") for k in range(2)]
    items += [question(20 + k, f"w{k}", "writing", "writing") for k in range(2)]
    chosen = balance(items, per_category=3)
    by_category = {}
    for q in chosen:
        by_category.setdefault(q.category, []).append(q.id)
    assert by_category == {"mathematics": ["q0", "q1", "q10"], "writing": ["q20", "q21"]}
    assert balance(items, per_category=100) == items
