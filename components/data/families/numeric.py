"""Arithmetic and word problems with two steps, so that partial work (the right first step, a slip
at the end) is something an answer can show and a verifier can see.

A judge can compute these itself: needs_knowledge=False. Operands, the intermediate result and
the answer are all different numbers, so a restated operand never passes for either.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from components.data.families.base import Draft, Family
from components.data.families.number_answers import NumberKind
from components.data.families.pools import FIRST_NAMES
from components.data.numbers import numbers

IN_DIGITS = " Give the answer in digits."

# (expression, answer, first step) for operands a (2-99), b and c (2-12)
_FORMS: list[tuple[str, Callable[[int, int, int], tuple[int, int]]]] = [
    ("{a} + {b} × {c}", lambda a, b, c: (a + b * c, b * c)),
    ("({a} + {b}) × {c}", lambda a, b, c: ((a + b) * c, a + b)),
    ("{a} × {b} - {c}", lambda a, b, c: (a * b - c, a * b)),
    ("({a} - {b}) × {c}", lambda a, b, c: ((a - b) * c, a - b)),
]


def _distinct(answer: int, step: int, operands: list[int]) -> bool:
    return answer > 0 and step > 1 and answer != step and not {answer, step} & set(operands)


def _number_check(answer: int, step: int, say: list[str]) -> dict:
    return {"kind": "number", "answer": answer, "steps": [step], "format": "digits", "say": say}


class Arithmetic(Family):
    name = "arithmetic"
    category = "mathematics"
    kinds = {"number": NumberKind()}

    def draft(self, rng: random.Random) -> Draft:
        while True:
            form, compute = rng.choice(_FORMS)
            a, b, c = rng.randint(2, 99), rng.randint(2, 12), rng.randint(2, 12)
            if form.startswith("{a} ×"):
                a = rng.randint(2, 12)
            answer, step = compute(a, b, c)
            if _distinct(answer, step, [a, b, c]):
                break
        expr = form.format(a=a, b=b, c=c)
        ask = rng.choice([f"What is {expr}?", f"Calculate {expr}.", f"Compute {expr}."])
        say = ["The answer is {}.", f"{expr} = {{}}.", "It equals {}."]
        return Draft(ask + IN_DIGITS, str(answer), _number_check(answer, step, say), key=expr)


# Each story: (text, answer, first step) from random numbers.
def _marbles(rng: random.Random, who: str) -> tuple[str, int, int]:
    a, b, c = rng.randint(3, 40), rng.randint(2, 9), rng.randint(3, 12)
    thing = rng.choice(["marbles", "stickers", "pencils", "stamps"])
    text = f"{who} has {a} {thing} and buys {b} boxes with {c} {thing} in each. How many {thing} does {who} have now?"
    return text, a + b * c, b * c


def _change(rng: random.Random, who: str) -> tuple[str, int, int]:
    q, p, bill = rng.randint(2, 6), rng.randint(2, 15), rng.choice([50, 100])
    item = rng.choice(["notebooks", "sandwiches", "tickets", "plants"])
    text = (
        f"{who} buys {q} {item} at {p} dollars each and pays with a {bill}-dollar note. "
        f"How many dollars of change does {who} get?"
    )
    return text, bill - p * q, p * q


def _train(rng: random.Random, who: str) -> tuple[str, int, int]:
    s, h, d = rng.randrange(40, 125, 5), rng.randint(2, 6), rng.randint(5, 95)
    text = (
        f"{who}'s train runs at {s} km per hour for {h} hours and then another {d} km. "
        f"How many kilometres does it cover in total?"
    )
    return text, s * h + d, s * h


def _pages(rng: random.Random, who: str) -> tuple[str, int, int]:
    p, d, x = rng.randint(8, 40), rng.randint(3, 9), rng.randint(2, 30)
    text = (
        f"{who} reads {p} pages a day for {d} days and then {x} pages on the last day. "
        f"How many pages does {who} read in all?"
    )
    return text, p * d + x, p * d


def _chairs(rng: random.Random, who: str) -> tuple[str, int, int]:
    r, c, t = rng.randint(3, 15), rng.randint(4, 20), rng.randint(2, 40)
    text = f"{who} sets out {r} rows of {c} chairs, and {t} chairs are taken. How many chairs are still free?"
    return text, r * c - t, r * c


def _savings(rng: random.Random, who: str) -> tuple[str, int, int]:
    s, w, x = rng.randint(5, 30), rng.randint(3, 12), rng.randint(2, 40)
    text = f"{who} saves {s} dollars a week for {w} weeks and then spends {x} dollars. How many dollars are left?"
    return text, s * w - x, s * w


_STORIES = [_marbles, _change, _train, _pages, _chairs, _savings]


class WordProblem(Family):
    name = "word_problem"
    category = "mathematics"
    kinds = {"number": NumberKind()}

    def draft(self, rng: random.Random) -> Draft:
        while True:
            story = rng.choice(_STORIES)
            text, answer, step = story(rng, rng.choice(FIRST_NAMES))
            operands = [int(n) for n in numbers(text)]
            if _distinct(answer, step, operands):
                break
        say = ["The answer is {}.", "That makes {}.", "So the result is {}."]
        return Draft(text + IN_DIGITS, str(answer), _number_check(answer, step, say))
