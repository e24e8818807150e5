"""IFEval-style instruction following: all lowercase, a word limit, exactly k bullets, a keyword.

Every constraint is checkable by code, so a judge needs no knowledge to grade them
(needs_knowledge=False); each rides on a "name k members of a set" task so that content can be
right, partial or wrong independently of the constraint.
"""

from __future__ import annotations

import random

from components.data.facts import table
from components.data.families.base import Draft, Family
from components.data.families.member_answers import COUNT_WORDS, KEYWORD_SENTENCES, MembersKind, render
from components.data.text import words


class _ConstraintFamily(Family):
    category = "fundamental"
    kinds = {"members": MembersKind()}
    asks: tuple[str, ...]

    def draft(self, rng: random.Random) -> Draft:
        group = rng.choice(table("sets"))
        k = rng.choice([k for k in (2, 3, 4) if k < len(group["members"])])
        noun = group["name"]
        spec = self.constraint(rng, group, k)
        ask = rng.choice(self.asks).format(k=COUNT_WORDS[k], set=noun, **spec)
        check = {"kind": "members", "set": noun, "k": k, "constraint": spec}
        reference = render(spec, noun, [m[0] for m in group["members"][:k]], rng)
        return Draft(ask, reference, check)

    def constraint(self, rng: random.Random, group: dict, k: int) -> dict:
        return {"type": self.name}


class Lowercase(_ConstraintFamily):
    name = "lowercase"
    asks = (
        "Name {k} {set}. Use only lowercase letters in your answer.",
        "Using only lowercase letters, name {k} {set}.",
        "Name {k} {set} in a sentence with no capital letters at all.",
    )


class WordCount(_ConstraintFamily):
    name = "word_count"
    asks = ("Name {k} {set} in {limit} {n} words.", "Answer in {limit} {n} words: name {k} {set}.")

    def constraint(self, rng: random.Random, group: dict, k: int) -> dict:
        if rng.random() < 0.5:
            longest = max(len(words(m[0])) for m in group["members"])
            return {"type": "max_words", "n": k * longest + 4 + rng.randint(0, 4), "limit": "at most"}
        return {"type": "min_words", "n": rng.randint(12, 20), "limit": "at least"}


class Bullets(_ConstraintFamily):
    name = "bullets"
    asks = (
        'Name {k} {set} as a Markdown list with exactly {k} bullet points, each starting with "- ".',
        "List {k} {set}, one per bullet point, using exactly {k} bullets.",
    )


class Keyword(_ConstraintFamily):
    name = "keyword"
    asks = ('Name {k} {set} in one sentence that includes the word "{word}".',)

    def constraint(self, rng: random.Random, group: dict, k: int) -> dict:
        return {"type": "keyword", "word": rng.choice(sorted(KEYWORD_SENTENCES))}
