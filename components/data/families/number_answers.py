"""Answers that are one number: arithmetic, word problems, conversions, counts, numeric facts.

The graded value is the last number the answer gives that is not already in the question, so
"12 + 7 = 19" and "19, since 12 + 7 = 19" both read 19 while a restated operand never counts.
Facts are stated first and elaborated after ("365 days, which is 12 months"), so for them
(``pick: "first"``) the first new number is graded. Numbers in digits win over numbers in words,
which only count when no digits remain. Check data: ``answer``, ``tol`` (relative), ``steps``
(intermediate results that show partial work), ``format`` ("digits" or "prose"), ``say``
(sentences with a ``{}`` slot; the text before the slot in the first is the cut-off answer) and
optionally ``pick`` and ``near`` (plausible wrong values).
"""

from __future__ import annotations

import json
import random

from components.data.families.base import AnswerKind, Check, question_text
from components.data.numbers import close, fmt, numbers, to_words, word_numbers
from components.data.text import prose_issue
from components.schemas import Question


def given_numbers(question: Question) -> set[float]:
    """Numbers the question states in digits ("in one sentence" must not rule out the answer 1)."""
    return set(numbers(question_text(question)))


class NumberKind(AnswerKind):
    def check(self, question: Question, answer: str) -> Check:
        c = question.check
        target, tol = c["answer"], c.get("tol", 0.0)
        given = given_numbers(question)
        digits = [v for v in numbers(answer) if v not in given]
        found = digits or [v for v in word_numbers(answer) if v not in given]
        if not found:
            return Check(False, False, "gives no number", answered=False)
        final = found[0] if c.get("pick") == "first" else found[-1]
        if c["format"] == "digits":
            issue = "" if digits else "in words, not digits"
        else:
            issue = prose_issue(answer)
        if close(final, target, tol):
            return Check(True, False, f"gives {fmt(final)} {issue}".strip(), format_ok=not issue)
        shown = [t for t in [target, *c.get("steps", [])] if any(close(v, t, tol) for v in found)]
        if shown:
            return Check(False, True, f"shows {fmt(shown[0])} but settles on {fmt(final)}")
        return Check(False, False, f"gives {fmt(final)}, not {fmt(target)}")

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        return rng.choice(question.check["say"]).format(fmt(question.check["answer"]))

    def wrong(self, question: Question, rng: random.Random) -> str:
        return rng.choice(question.check["say"]).format(fmt(near_miss(question, rng)))

    def partial(self, question: Question, rng: random.Random) -> str:
        c = question.check
        miss = fmt(near_miss(question, rng))
        if c.get("steps"):
            return f"The first step gives {fmt(rng.choice(c['steps']))}, so the answer is {miss}."
        hedge = [miss, fmt(c["answer"])] if c.get("pick") == "first" else [fmt(c["answer"]), miss]
        return rng.choice(c["say"]).format(" or ".join(hedge))

    def off_format(self, question: Question, rng: random.Random) -> str:
        c = question.check
        if c["format"] == "digits":
            return rng.choice(c["say"]).format(to_words(round(c["answer"])))
        return json.dumps({"answer": c["answer"]})

    def truncated(self, question: Question, rng: random.Random) -> str:
        return question.check["say"][0].split("{}")[0].rstrip(" ,:")


def near_miss(question: Question, rng: random.Random) -> float:
    """A plausible wrong value: the family's own (a wrong conversion factor), else off by one, two or
    ten, or for estimates well outside the tolerance."""
    c = question.check
    target, tol = c["answer"], c.get("tol", 0.0)
    if tol:
        defaults = [round(target * f) for f in (0.5, 0.7, 1.4, 2)]
    else:
        defaults = [target + d for d in (-10, -2, -1, 1, 2, 10)]
    taken = given_numbers(question)
    targets = [target, *c.get("steps", [])]
    for candidates in (c.get("near", []), defaults):
        usable = [
            v
            for v in candidates
            if v not in taken and not any(close(v, t, tol) for t in targets) and (v > 0 or target <= 0)
        ]
        if usable:
            return rng.choice(usable)
    raise ValueError(f"no plausible wrong value for {question.id}")
