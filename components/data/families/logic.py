"""Ordering puzzles: from shuffled pairwise comparisons, name who is first and who is last.

Two named roles make partial answers real (the tallest right, the shortest wrong). Free text is
read by pattern, "Cal is the tallest" or "the tallest is Cal", taking the last statement for each
role, so reasoning that mentions everyone before concluding is graded by its conclusion.
"""

from __future__ import annotations

import json
import random
import re
from itertools import pairwise

from components.data.families.base import AnswerKind, Check, Draft, Family
from components.data.families.pools import FIRST_NAMES
from components.data.text import prose_issue
from components.schemas import Question

# (comparative, its opposite, the role at the top, the role at the bottom)
_SCALES = [
    ("taller", "shorter", "tallest", "shortest"),
    ("older", "younger", "oldest", "youngest"),
    ("faster", "slower", "fastest", "slowest"),
    ("heavier", "lighter", "heaviest", "lightest"),
    ("richer", "poorer", "richest", "poorest"),
]


def named_roles(answer: str, people: list[str], roles: list[str]) -> dict[str, str]:
    """The person each role is given to, by the last statement that assigns it."""
    text = re.sub(r"[\"'*_`{}]", " ", answer)
    names = "|".join(people)
    found: dict[str, str] = {}
    for role in roles:
        before = rf"\b({names})\b,?\s+(?:is|was|would be|must be)\s+(?:(?!not\b)\w+\s+)?(?:the\s+)?{role}\b"
        after = rf"\b{role}\b(?:\s+(?:one|person|of (?:them|all)))?\s*(?:is|would be|must be|:|=|-)\s*({names})\b"
        hits = [(m.start(), m.group(1)) for p in (before, after) for m in re.finditer(p, text, re.IGNORECASE)]
        if hits:
            found[role] = max(hits)[1].capitalize()
    return found


class RolesKind(AnswerKind):
    """Check data: ``people``, ``roles`` ({role: person}, top role first)."""

    def check(self, question: Question, answer: str) -> Check:
        roles = question.check["roles"]
        named = named_roles(answer, question.check["people"], list(roles))
        right = [r for r, who in roles.items() if named.get(r) == who]
        if not named:
            return Check(False, False, "names no one for either role", answered=False)
        if len(right) == len(roles):
            issue = prose_issue(answer)
            detail = " and ".join(f"{who} {r}" for r, who in roles.items())
            return Check(True, False, f"names {detail} {issue}".strip(), format_ok=not issue)
        if right:
            return Check(False, True, f"gets the {right[0]} right but not the other")
        wrong = next(iter(named))
        return Check(False, False, f"names {named[wrong]} {wrong}, not {roles[wrong]}")

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        (top, a), (bottom, b) = question.check["roles"].items()
        return rng.choice([f"{a} is the {top} and {b} is the {bottom}.", f"The {top} is {a}, and the {bottom} is {b}."])

    def wrong(self, question: Question, rng: random.Random) -> str:
        (top, a), (bottom, b) = question.check["roles"].items()
        return f"{b} is the {top} and {a} is the {bottom}."

    def partial(self, question: Question, rng: random.Random) -> str:
        (top, a), (bottom, b) = question.check["roles"].items()
        middle = rng.choice([p for p in question.check["people"] if p not in (a, b)])
        return f"{a} is the {top} and {middle} is the {bottom}."

    def off_format(self, question: Question, rng: random.Random) -> str:
        return json.dumps(question.check["roles"], ensure_ascii=False)

    def truncated(self, question: Question, rng: random.Random) -> str:
        top = next(iter(question.check["roles"]))
        return f"Putting the clues together, the {top} is"


class Logic(Family):
    name = "logic"
    category = "logical_reasoning"
    kinds = {"roles": RolesKind()}

    def draft(self, rng: random.Random) -> Draft:
        more, less, top, bottom = rng.choice(_SCALES)
        people = rng.sample(FIRST_NAMES, rng.choice([3, 4]))  # people[0] ranks highest
        clues = []
        for high, low in pairwise(people):
            clues.append(f"{high} is {more} than {low}." if rng.random() < 0.5 else f"{low} is {less} than {high}.")
        rng.shuffle(clues)
        ask = f"{' '.join(clues)} Who is the {top}, and who is the {bottom}?"
        check = {"kind": "roles", "people": sorted(people), "roles": {top: people[0], bottom: people[-1]}}
        return Draft(ask, f"{people[0]} is the {top} and {people[-1]} is the {bottom}.", check)
