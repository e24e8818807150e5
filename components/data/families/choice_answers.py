"""Answers that are one member of a closed set: a capital, a country, an element, a planet, a weekday.

Right means the right member is named and no rival from the same set is ("Paris is the capital of
France" passes; "Paris or Lyon" with Lyon a rival is a hedge, partial; a list of guesses never passes).
Check data: ``answer``, ``aliases`` (accepted spellings), ``pool`` (facts pool of rivals),
``ignore`` (names the question itself gives, masked in the answer), ``near`` (plausible wrong
members), ``case`` (match case, for element symbols), ``what`` (the noun: "city") and ``say``
(sentences with a ``{}`` slot; the text before the slot in the first is the cut-off answer).
"""

from __future__ import annotations

import json
import random
import re

from components.data.facts import pool
from components.data.families.base import AnswerKind, Check, strip_echo
from components.data.text import find, normalize, prose_issue
from components.schemas import Question


def rivals(question: Question) -> list[tuple[str, ...]]:
    c = question.check
    case = c.get("case", False)
    own = {normalize(a, case) for a in [*c["aliases"], *c.get("ignore", [])]}
    return [e for e in pool(c["pool"]) if not own & {normalize(a, case) for a in e}]


class ChoiceKind(AnswerKind):
    def check(self, question: Question, answer: str) -> Check:
        c = question.check
        case, said = c.get("case", False), strip_echo(question, answer)
        for phrase in c.get("ignore", []):  # "Mexico City" names no country, "after Mars" no answer
            said = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", " ", said, flags=0 if case else re.IGNORECASE)
        right = find(said, c["aliases"], case) is not None
        named = sorted((pos, e[0]) for e in rivals(question) if (pos := find(said, e, case)) is not None)
        if right and named:
            return Check(False, True, f"hedges between {c['answer']} and {named[0][1]}")
        if right:
            issue = prose_issue(answer)
            return Check(True, False, f"names {c['answer']} {issue}".strip(), format_ok=not issue)
        if named:
            return Check(False, False, f"names {named[-1][1]}, not {c['answer']}")
        return Check(False, False, f"names no {c['what']}", answered=False)

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        return rng.choice(question.check["say"]).format(question.check["answer"])

    def wrong(self, question: Question, rng: random.Random) -> str:
        return rng.choice(question.check["say"]).format(rng.choice(question.check["near"]))

    def partial(self, question: Question, rng: random.Random) -> str:
        c = question.check
        pair = [c["answer"], rng.choice(c["near"])]
        rng.shuffle(pair)
        return rng.choice(c["say"]).format(f"{pair[0]} or {pair[1]}")

    def off_format(self, question: Question, rng: random.Random) -> str:
        c = question.check
        if rng.random() < 0.5:
            return json.dumps({c["what"]: c["answer"]}, ensure_ascii=False)
        return f"- {c['what'].capitalize()}: {c['answer']}"

    def truncated(self, question: Question, rng: random.Random) -> str:
        return question.check["say"][0].split("{}")[0].rstrip(" ,:")


def choice_check(aliases: list[str], pool_name: str, near: list[str], what: str, say: list[str], **extra) -> dict:
    """The check data of a choice question (``extra``: ``ignore``, ``case``)."""
    return {
        "kind": "choice",
        "answer": aliases[0],
        "aliases": aliases,
        "pool": pool_name,
        "near": near,
        "what": what,
        "say": say,
        **extra,
    }
