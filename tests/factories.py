"""Small records for tests."""

from __future__ import annotations

from components.schemas import FIRST, SECOND, TIE, Pair


def make_pair(**changes) -> Pair:
    base = dict(
        id="p",
        question_id="q",
        family="arithmetic",
        category="mathematics",
        instruction="What is 2 + 2?",
        reference="4",
        answer1="4",
        answer2="5",
        source1="a",
        source2="b",
        score1=9,
        score2=2,
        verdict=FIRST,
        reason="Assistant 1 is right; Assistant 2 is wrong.",
    )
    return Pair(**{**base, **changes})


def arithmetic_pairs(n: int) -> list[Pair]:
    """Pairs whose verdicts cycle through 1, 2 and tie, with scores to match."""
    pairs = []
    for i in range(n):
        a, b = i % 7 + 1, i % 5 + 2
        right = str(a + b)
        wrong = str(a + b + 1)
        kind = i % 3
        answers = {0: (right, wrong, 9, 3, FIRST), 1: (wrong, right, 3, 9, SECOND), 2: (right, right + ".", 9, 9, TIE)}[kind]
        reason = {FIRST: "Assistant 1 is right.", SECOND: "Assistant 2 is right.", TIE: "Both are right."}[answers[4]]
        pairs.append(
            make_pair(
                id=f"p{i}", question_id=f"q{i}", instruction=f"What is {a} + {b}?", reference=right,
                answer1=answers[0], answer2=answers[1], score1=answers[2], score2=answers[3], verdict=answers[4],
                reason=reason,
            )
        )
    return pairs
