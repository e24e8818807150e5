"""Answers that name k members of a well-known closed set under an IFEval-style constraint.

The content ("name two seasons") is verifiable, so instruction-following families get real
partial and wrong answers too: fewer members than asked is partial, distractors ("January" for a
season) are wrong. The constraint is the asked format: breaking it with the right members is
off-format. Check data: ``set`` (a facts/sets.json name), ``k``, ``constraint`` ({"type":
"lowercase" | "max_words" | "min_words" | "bullets" | "keyword", "n": words, "word": keyword}).
"""

from __future__ import annotations

import random
import re

from components.data.facts import set_named
from components.data.families.base import AnswerKind, Check
from components.data.text import find, join_items, words
from components.schemas import Question

COUNT_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}
KEYWORD_SENTENCES = {
    "favorite": "My favorite {set} are {items}.",
    "example": "For example, {items} are {set}.",
    "because": "I chose {items} because they are {set}.",
    "know": "I know that {items} are {set}.",
    "remember": "It is easy to remember {items} as {set}.",
    "indeed": "{Items} are indeed {set}.",
}
_FILLERS = ["They are easy to remember.", "Most people learn them at school.", "Each of them is well known."]
_BULLET = re.compile(r"^\s*[-*•]\s+\S", re.MULTILINE)


def constraint_issue(spec: dict, k: int, answer: str) -> str:
    """How the answer breaks the constraint ("" when it keeps it)."""
    kind, count = spec["type"], len(words(answer))
    if kind == "lowercase" and any(ch.isupper() for ch in answer):
        return "but uses capital letters"
    if kind == "max_words" and count > spec["n"]:
        return f"but uses {count} words, over {spec['n']}"
    if kind == "min_words" and count < spec["n"]:
        return f"but uses {count} words, under {spec['n']}"
    if kind == "bullets" and (bullets := len(_BULLET.findall(answer))) != k:
        return f"but has {bullets} bullets, not {k}"
    if kind == "keyword" and find(answer, [spec["word"]]) is None:
        return f'but lacks the word "{spec["word"]}"'
    return ""


def _sentence(template: str, noun: str, items: list[str]) -> str:
    joined = join_items(items)
    text = template.format(
        set=noun, items=joined, Items=joined[0].upper() + joined[1:], K=COUNT_WORDS[len(items)].capitalize()
    )
    return text[0].upper() + text[1:]


def render(spec: dict, noun: str, items: list[str], rng: random.Random, keep: bool = True) -> str:
    """The items named in a sentence that keeps the constraint, or with ``keep=False`` breaks it."""
    plain = _sentence("{K} {set} are {items}." if len(items) > 1 else "One of the {set} is {items}.", noun, items)
    kind = spec["type"]
    bare = _sentence("{Items}.", noun, items)
    if kind == "lowercase":
        return rng.choice([plain, bare]).lower() if keep else plain
    if kind == "bullets":
        return "\n".join(f"- {item}" for item in items) if keep else plain
    if kind == "keyword":
        return _sentence(KEYWORD_SENTENCES[spec["word"]], noun, items) if keep else plain
    if kind == "max_words" and keep:
        return plain if len(words(plain)) <= spec["n"] else bare
    if kind == "min_words" and not keep:
        return bare
    text = plain
    for filler in _FILLERS * 3:
        if len(words(text)) > spec["n"]:
            break
        text = f"{text} {filler}"
    return text


class MembersKind(AnswerKind):
    def check(self, question: Question, answer: str) -> Check:
        c = question.check
        group, k = set_named(c["set"]), c["k"]
        noun = group["name"]
        named = [m[0] for m in group["members"] if find(answer, m) is not None]
        decoys = [d for d in group["distractors"] if find(answer, [d]) is not None]
        if len(named) >= k and not decoys:
            issue = constraint_issue(c["constraint"], k, answer)
            return Check(True, False, f"names {COUNT_WORDS[k]} {noun} {issue}".strip(), format_ok=not issue)
        if named:
            return Check(False, True, f"mixes in {decoys[0]}" if decoys else f"names only {len(named)} of {k}")
        if decoys:
            return Check(False, False, f"names {decoys[0]}, not one of the {noun}")
        return Check(False, False, f"names none of the {noun}", answered=False)

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        return self._say(question, self._members(question, rng), rng)

    def wrong(self, question: Question, rng: random.Random) -> str:
        group = set_named(question.check["set"])
        return self._say(question, rng.sample(group["distractors"], question.check["k"]), rng)

    def partial(self, question: Question, rng: random.Random) -> str:
        return self._say(question, self._members(question, rng)[1:], rng)

    def off_format(self, question: Question, rng: random.Random) -> str:
        c = question.check
        return render(c["constraint"], c["set"], self._members(question, rng), rng, keep=False)

    def truncated(self, question: Question, rng: random.Random) -> str:
        c = question.check
        lead = f"{COUNT_WORDS[c['k']].capitalize()} {c['set']} are"
        return lead.lower() if c["constraint"]["type"] == "lowercase" else lead

    def _members(self, question: Question, rng: random.Random) -> list[str]:
        group = set_named(question.check["set"])
        return [m[0] for m in rng.sample(group["members"], question.check["k"])]

    def _say(self, question: Question, items: list[str], rng: random.Random) -> str:
        return render(question.check["constraint"], question.check["set"], items, rng)
