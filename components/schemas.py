"""The records every stage reads and writes.

Verdicts use PandaLM's encoding everywhere: 0 = tie, 1 = the first answer is better,
2 = the second answer is better. A judgment that could not be parsed has ``verdict=None``
and ``failed=True`` -- it is never a tie.
"""

from __future__ import annotations

import json
import math
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TIE, FIRST, SECOND = 0, 1, 2
VERDICTS = (TIE, FIRST, SECOND)
VERDICT_NAMES = {TIE: "tie", FIRST: "1", SECOND: "2"}
SCALE_FLAG = "scale:"
"""Flag prefix on a pair whose scores are not on the teacher's 1-10 scale: ``scale:1-5`` (human scores)."""

Order = Literal["original", "swapped"]


def mirror(verdict: int | None) -> int | None:
    """The verdict an order-consistent judge gives when the two answers trade places."""
    if verdict is None:
        return None
    return {TIE: TIE, FIRST: SECOND, SECOND: FIRST}[verdict]


def verdict_from_scores(score1: float, score2: float) -> int:
    """JudgeLM's rule: the higher score wins, equal scores tie."""
    if score1 > score2:
        return FIRST
    if score1 < score2:
        return SECOND
    return TIE


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NonEmpty(Record):
    @field_validator("*", mode="before")
    @classmethod
    def _no_blank_strings(cls, value, info):
        if isinstance(value, str) and info.field_name in cls.required_text and not value.strip():
            raise ValueError("must be a non-empty string")
        return value

    required_text: ClassVar[tuple[str, ...]] = ()


class Question(NonEmpty):
    """A task with a reference answer. ``needs_knowledge`` marks questions a judge cannot
    check without knowing a fact (the knowledge-bias probe uses it)."""

    id: str
    family: str
    category: str
    instruction: str
    input: str = ""
    reference: str
    needs_knowledge: bool = False
    check: dict = Field(default_factory=dict)

    required_text: ClassVar[tuple[str, ...]] = ("id", "family", "category", "instruction", "reference")


class Answer(NonEmpty):
    """One candidate answer to a question; ``source`` names the model or variant that wrote it."""

    id: str
    question_id: str
    source: str
    text: str

    required_text: ClassVar[tuple[str, ...]] = ("id", "question_id", "source")


class Judged(NonEmpty):
    """The question side of a judged record (``Pair``, ``ScoredAnswer``): which question it answers, with
    its instruction, input and reference (which may be empty)."""

    id: str
    question_id: str
    family: str
    category: str
    instruction: str
    input: str = ""
    reference: str = ""


class Pair(Judged):
    """Two answers to one question with the teacher's scores, verdict and reason.

    ``text`` is the JudgeLM training target: ``"s1 s2\\nreason"``.
    """

    answer1: str
    answer2: str
    source1: str
    source2: str
    score1: float | None = None
    score2: float | None = None
    verdict: int | None = None
    reason: str = ""
    # CritiqueLLM round 2: the label rewritten without the reference (scores within 1 of round 1's)
    reason_no_reference: str = ""
    score1_no_reference: float | None = None
    score2_no_reference: float | None = None
    teacher: str = ""
    needs_knowledge: bool = False
    split: str = ""
    annotators: list[int] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)

    required_text: ClassVar[tuple[str, ...]] = ("id", "question_id", "instruction", "answer1", "answer2")

    @field_validator("score1", "score2", "score1_no_reference", "score2_no_reference", "verdict", mode="before")
    @classmethod
    def _a_real_number(cls, value):
        return _real_number(value)

    @field_validator("annotators", mode="before")
    @classmethod
    def _no_boolean_labels(cls, value):
        if isinstance(value, list) and any(isinstance(label, bool) for label in value):
            raise ValueError(f"expected labels in {VERDICTS}, got a JSON boolean in {json.dumps(value)}")
        return value

    @field_validator("verdict")
    @classmethod
    def _known_verdict(cls, value):
        if value is not None and value not in VERDICTS:
            raise ValueError(f"must be one of {VERDICTS} (0 = tie, 1 = first, 2 = second)")
        return value

    @property
    def text(self) -> str:
        return f"{_fmt(self.score1)} {_fmt(self.score2)}\n{self.reason}"

    def swapped(self) -> Pair:
        """The same pair with the answers in the other order; scores, verdict and the
        "Assistant 1/2" mentions in the reasons follow the answers."""
        return self.model_copy(
            update=dict(
                answer1=self.answer2,
                answer2=self.answer1,
                source1=self.source2,
                source2=self.source1,
                score1=self.score2,
                score2=self.score1,
                verdict=mirror(self.verdict),
                reason=swap_assistant_mentions(self.reason),
                score1_no_reference=self.score2_no_reference,
                score2_no_reference=self.score1_no_reference,
                reason_no_reference=swap_assistant_mentions(self.reason_no_reference),
            )
        )


class ScoredAnswer(Judged):
    """One answer to a question with its gold score: pointwise evaluation data (CritiqueLLM's human-scored
    sets), one answer per record, which a ``Pair`` (two answers) cannot hold.

    ``scale`` is the range the score was given on, as published ("1-5"): the score is never rescaled to
    our 1-10, and must lie in its scale. ``source`` names the model that wrote the answer (system-level
    correlation groups by it); ``question_id`` groups the answers to one question (text level).
    """

    answer: str
    source: str
    score: float
    scale: str = Field(pattern=r"^[0-9]+(\.[0-9]+)?-[0-9]+(\.[0-9]+)?$")
    teacher: str = ""
    flags: list[str] = Field(default_factory=list)

    required_text: ClassVar[tuple[str, ...]] = ("id", "question_id", "instruction", "answer", "source")

    @field_validator("score", mode="before")
    @classmethod
    def _a_real_number(cls, value):
        return _real_number(value)

    @model_validator(mode="after")
    def _score_within_scale(self):
        low, high = scale_bounds(self.scale)
        if not low <= self.score <= high:
            raise ValueError(f"score {self.score:g} is outside its scale {self.scale}")
        return self


def scale_bounds(scale: str) -> tuple[float, float]:
    """``"1-5"`` -> (1.0, 5.0)."""
    low, high = scale.split("-")
    return float(low), float(high)


class Judgment(Record):
    """One judge output for one pair in one order. Parsed fields are in the order the judge
    saw the answers; ``verdict`` is None exactly when ``failed`` is True."""

    pair_id: str
    judge: str
    order: Order = "original"
    template: str
    raw: str
    score1: float | None = None
    score2: float | None = None
    verdict: int | None = None
    confidence: float | None = None
    failed: bool = False
    failure: str = ""
    truncated: bool = False


def _real_number(value):
    """A score or verdict is a finite number: JSON's true/false, NaN and Infinity are not coerced into
    one (pydantic would read true as 1 and keep NaN)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the JSON boolean {json.dumps(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {json.dumps(value)}")
    return value


def swap_assistant_mentions(text: str) -> str:
    """Trade "Assistant 1" and "Assistant 2" (and "Answer 1/2", "Response 1/2") in a reason."""
    import re

    return re.sub(
        r"\b(Assistant|Answer|Response)( ?)([12])\b",
        lambda m: f"{m.group(1)}{m.group(2)}{'2' if m.group(3) == '1' else '1'}",
        text,
    )


def _fmt(score: float | None) -> str:
    if score is None:
        return "?"
    return str(int(score)) if float(score).is_integer() else f"{score:g}"
