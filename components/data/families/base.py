"""The contract every task family meets: seeded questions, a verifier, and failure variants.

A family only drafts questions; how an answer is checked and how its typical failures are
written depends on the shape of the answer (a number, one of a closed set, a list, fields),
so those live in answer kinds that several families share. ``question.check["kind"]`` names
the kind, which keeps a stored question gradable without the code that drafted it.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from components.schemas import Question


@dataclass(frozen=True)
class Check:
    """What a verifier found in one answer.

    ``correct`` and ``partial`` judge the content; ``format_ok`` whether the asked format or
    constraint (digits, JSON, lowercase, a word limit) was kept, so right content in the wrong
    format stays apart from a wrong answer. ``answered`` is False when the answer commits to
    nothing gradable (no number, no city): cut off, refused or off topic.
    """

    correct: bool
    partial: bool
    detail: str
    answered: bool = True
    format_ok: bool = True

    @property
    def passed(self) -> bool:
        """Right content in the asked format: what a reference answer achieves."""
        return self.correct and self.format_ok


@dataclass(frozen=True)
class Draft:
    """A question before it gets its id; ``key`` says which drafts are the same question."""

    instruction: str
    reference: str
    check: dict
    input: str = ""
    key: str = ""


class AnswerKind(ABC):
    """How one shape of answer is verified, and how its correct and failed versions are written."""

    @abstractmethod
    def check(self, question: Question, answer: str) -> Check: ...

    @abstractmethod
    def paraphrase(self, question: Question, rng: random.Random) -> str:
        """Correct, and worded unlike the reference (a sentence rather than the bare value)."""

    @abstractmethod
    def wrong(self, question: Question, rng: random.Random) -> str:
        """A plausible wrong value: a nearby number, a neighbouring capital."""

    @abstractmethod
    def partial(self, question: Question, rng: random.Random) -> str:
        """Partly right: a hedge between the right value and a wrong one, or part of the parts."""

    @abstractmethod
    def off_format(self, question: Question, rng: random.Random) -> str:
        """The right content breaking the asked format or constraint."""

    @abstractmethod
    def truncated(self, question: Question, rng: random.Random) -> str:
        """Cut off just before the answer."""


class Family(ABC):
    """A seeded generator of verifiable questions of one task type."""

    name: ClassVar[str]
    category: ClassVar[str]
    needs_knowledge: ClassVar[bool] = False
    kinds: ClassVar[dict[str, AnswerKind]]

    @abstractmethod
    def draft(self, rng: random.Random) -> Draft: ...

    def questions(self, rng: random.Random, n: int) -> list[Question]:
        """``n`` distinct questions, the same ones for the same ``rng`` state.

        Raises ValueError when the family cannot produce that many distinct questions.
        """
        out: list[Question] = []
        seen: set[str] = set()
        for _ in range(50 * n + 500):
            if len(out) == n:
                break
            draft = self.draft(rng)
            key = draft.key or f"{draft.instruction}\n{draft.input}"
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Question(
                    id=f"{self.name}-{len(out):04d}",
                    family=self.name,
                    category=self.category,
                    instruction=draft.instruction,
                    input=draft.input,
                    reference=draft.reference,
                    needs_knowledge=self.needs_knowledge,
                    check=draft.check,
                )
            )
        if len(out) < n:
            raise ValueError(f"family {self.name!r} produced only {len(out)} distinct questions; {n} asked")
        return out

    def kind(self, question: Question) -> AnswerKind:
        return self.kinds[question.check["kind"]]

    def check(self, question: Question, answer: str) -> Check:
        return self.kind(question).check(question, answer)

    def paraphrase(self, question: Question, rng: random.Random) -> str:
        return self.kind(question).paraphrase(question, rng)

    def wrong(self, question: Question, rng: random.Random) -> str:
        return self.kind(question).wrong(question, rng)

    def partial(self, question: Question, rng: random.Random) -> str:
        return self.kind(question).partial(question, rng)

    def off_format(self, question: Question, rng: random.Random) -> str:
        return self.kind(question).off_format(question, rng)

    def truncated(self, question: Question, rng: random.Random) -> str:
        return self.kind(question).truncated(question, rng)


def question_text(question: Question) -> str:
    """Everything the asker wrote: what a parroting answer copies and a relevant one shares words with."""
    return f"{question.instruction}\n{question.input}".strip()


def about(question: Question) -> str:
    """The words an on-topic answer may share with its question: the question and its reference."""
    return f"{question_text(question)}\n{question.reference}"


def strip_echo(question: Question, answer: str) -> str:
    """The answer without verbatim copies of the instruction's sentences: echoing the question (as
    small models do) names nothing, so options the question lists are no hedge and required words
    the question quotes are not used. Formats are still checked on the whole answer."""
    for piece in re.split(r"(?<=[.?!])\s+", question.instruction):
        if len(piece.split()) >= 3:
            answer = re.sub(re.escape(piece), " ", answer, flags=re.IGNORECASE)
    return answer
