"""Text manipulation: sort or reverse a word list, count letters or words.

A list answer is read as runs of the given words separated only by commas, "and", bullets or
line breaks; the run in the right order passes wherever it appears, so restating the input first
does not hurt. "Comma-separated" is the asked format: one word per line is off-format.
"""

from __future__ import annotations

import random
import re

from components.data.families.base import AnswerKind, Check, Draft, Family
from components.data.families.number_answers import NumberKind
from components.data.families.numeric import IN_DIGITS
from components.data.families.pools import NOUNS
from components.schemas import Question

_GAP = re.compile(r"[\s,;>|*•\-–]*(?:(?:and|then)\s+)?(?:\d+[.)]\s*)?[\s,;>|*•\-–]*", re.IGNORECASE)


def runs(answer: str, items: list[str]) -> list[tuple[list[str], list[str]]]:
    """Maximal runs of the given words in the answer, each with the separators between its words."""
    names = "|".join(re.escape(i) for i in sorted(items, key=len, reverse=True))
    found: list[tuple[list[str], list[str]]] = []
    end = None
    for m in re.finditer(rf"(?<!\w)({names})(?!\w)", answer, re.IGNORECASE):
        gap = answer[end : m.start()] if end is not None else None
        if gap is not None and _GAP.fullmatch(gap):
            found[-1][0].append(m.group(1).lower())
            found[-1][1].append(gap)
        else:
            found.append(([m.group(1).lower()], []))
        end = m.end()
    return found


class SequenceKind(AnswerKind):
    """Check data: ``items`` (the given words), ``answer`` (their right order), ``lead``."""

    def check(self, question: Question, answer: str) -> Check:
        expected = [w.lower() for w in question.check["answer"]]
        n = len(expected)
        found = runs(answer, question.check["items"])
        for words, gaps in found:
            if words == expected:
                commas = all(("," in g or " and " in f" {g} ") and "\n" not in g for g in gaps)
                detail = f"orders all {n} words right" + ("" if commas else ", but not comma-separated")
                return Check(True, False, detail, format_ok=commas)
        lists = [words for words, _ in found if len(words) >= 2]
        if not lists:
            return Check(False, False, "gives no word list", answered=False)
        words = max(reversed(lists), key=len)
        right = sum(a == b for a, b in zip(words, expected, strict=False))
        same_words = sorted(words) == sorted(expected)
        if (same_words and 2 * right >= n) or (words == expected[: len(words)] and 2 * len(words) >= n):
            return Check(False, True, f"orders {right} of {n} words right")
        return Check(False, False, f"orders only {right} of {n} words right")

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        joined = ", ".join(question.check["answer"])
        return rng.choice([f"{question.check['lead']}: {joined}.", joined])

    def wrong(self, question: Question, rng: random.Random) -> str:
        return ", ".join(reversed(question.check["answer"]))

    def partial(self, question: Question, rng: random.Random) -> str:
        words = list(question.check["answer"])
        words[-2], words[-1] = words[-1], words[-2]
        return f"{question.check['lead']}: {', '.join(words)}."

    def off_format(self, question: Question, rng: random.Random) -> str:
        return "\n".join(f"{i}. {w}" for i, w in enumerate(question.check["answer"], start=1))

    def truncated(self, question: Question, rng: random.Random) -> str:
        return f"{question.check['lead']}, the words are"


class TextOps(Family):
    name = "text_ops"
    category = "fundamental"
    kinds = {"sequence": SequenceKind(), "number": NumberKind()}

    def draft(self, rng: random.Random) -> Draft:
        task = rng.choice(["sort", "reverse", "letters", "count"])
        items = rng.sample(NOUNS, rng.randint(4, 6))
        given = ", ".join(items)
        if task in ("sort", "reverse"):
            expected = sorted(items) if task == "sort" else items[::-1]
            if expected == items:
                return self.draft(rng)
            how = "in alphabetical order" if task == "sort" else "in reverse order"
            check = {"kind": "sequence", "items": items, "answer": expected, "lead": f"In {how[3:]}"}
            ask = f"Write these words {how}, separated by commas."
            return Draft(ask, ", ".join(expected), check, input=given)
        if task == "count":
            items = rng.sample(NOUNS, rng.randint(3, 9))
            say = ["The list has {} words.", "There are {} words.", "The answer is {}."]
            check = {"kind": "number", "answer": len(items), "format": "digits", "say": say}
            return Draft("How many words are in this list?" + IN_DIGITS, str(len(items)), check, input=", ".join(items))
        word = rng.choice([w for w in NOUNS if len(w) >= 6])
        letter = rng.choice(sorted(set(word)))
        count = word.count(letter)
        say = [
            f'The letter "{letter}" appears {{}} times in "{word}".',
            "It appears {} times.",
            "The answer is {}.",
        ]
        check = {"kind": "number", "answer": count, "format": "digits", "say": say}
        ask = f'How many times does the letter "{letter}" appear in the word "{word}"?' + IN_DIGITS
        return Draft(ask, str(count), check)
