"""Reference-derived candidate answers that model typical failures (components.vocabulary.VARIANTS names them).

Family-specific variants (correct, wrong, partial, off_format, truncated) come from the family;
the generic ones are built here: verbose pads a correct answer with restatement, refusal declines,
irrelevant answers something else -- a sentence that shares no content word with the question.
Refusal and irrelevant need no family at all (``FAMILY_FREE``), so they are the variants imported
questions (``generate.questions_from``) get.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from components.data.families.base import Family, about
from components.data.text import relevant
from components.schemas import Question

REFUSALS = (
    "I'm sorry, but I can't help with that request.",
    "I am not able to answer this question.",
    "As an AI language model, I cannot provide an answer to that.",
    "I don't know.",
)
OFF_TOPIC = (
    "Regular stretching can help you feel less stiff after sitting for a long time.",
    "A good cup of tea depends on fresh water and the right steeping time.",
    "Many people enjoy hiking because it combines exercise with quiet scenery.",
    "Learning to juggle takes patience, but most people get the basic pattern with practice.",
    "Bicycles are an efficient way to travel short distances in a city.",
    "Sourdough bread needs a lively starter and a long, slow rise.",
    "Good sleep habits include a regular bedtime and a dark, quiet room.",
    "Penguins huddle together to keep warm during the long polar night.",
)


FAMILY_FREE = frozenset({"refusal", "irrelevant"})
"""Variants made without a task family: they apply to any question."""


def verbose(question: Question, family: Family, rng: random.Random) -> str:
    """Correct, padded with a restatement of the question and of the answer itself."""
    first, again = family.paraphrase(question, rng), family.paraphrase(question, rng)
    return (
        f"Let me restate the question first: {question.instruction}\n\n{first}\n\n"
        f"To say it once more: {again}\n\nI hope this fully answers your question."
    )


def irrelevant(question: Question, family: Family, rng: random.Random) -> str:
    return rng.choice([s for s in OFF_TOPIC if not relevant(about(question), s)])


MAKERS: dict[str, Callable[[Question, Family, random.Random], str]] = {
    "correct": lambda q, f, rng: f.paraphrase(q, rng),
    "wrong": lambda q, f, rng: f.wrong(q, rng),
    "partial": lambda q, f, rng: f.partial(q, rng),
    "verbose": verbose,
    "truncated": lambda q, f, rng: f.truncated(q, rng),
    "off_format": lambda q, f, rng: f.off_format(q, rng),
    "refusal": lambda q, f, rng: rng.choice(REFUSALS),
    "irrelevant": irrelevant,
}


def make_answer(variant: str, question: Question, family: Family | None, rng: random.Random) -> str:
    """One candidate answer of the named variant; deterministic for a given ``rng`` state. ``family`` may
    be None for the ``FAMILY_FREE`` variants."""
    try:
        maker = MAKERS[variant]
    except KeyError:
        raise KeyError(f"unknown answer variant {variant!r}; known: {', '.join(MAKERS)}") from None
    return maker(question, family, rng)
