"""A judge used as the teacher: what the ``openai`` and ``hf`` teachers share.

Both are judges prompted with JudgeLM's template (components.judges.templates "judgelm") and read by
JudgeLM's parser, so a teacher label and a judgment of the trained judge mean the same thing. An
output that does not parse, or a request that still fails after its retries, gives a ``PairLabel``
with ``verdict=None`` and the failure as its reason: a counted failure, never a tie (JudgeLM's own
conversion turns its ``[-1, -1]`` failures into ties). Single answers are graded the JudgeLM way:
the reference is shown as Assistant 1 and the answer as Assistant 2, whose score is the grade.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from components.judges.base import Judge, JudgeItem
from components.schemas import Judgment, Pair, Question
from components.teachers.base import PairLabel

TEMPLATE = "judgelm"
Messages = list[dict[str, str]]
Complete = Callable[[Sequence[Messages]], list[str | Exception]]
LabelRequest = tuple[Question, str, str]
GradeRequest = tuple[Question, str]


@dataclass(frozen=True)
class Grade:
    """A single answer's score; None (with the failure as reason) when the teacher gave none."""

    score: float | None
    reason: str


class JudgeTeacher:
    """Labels pairs with ``judge`` in batches (``label_many``), so an endpoint's concurrency or a local
    model's batching is used. ``complete`` answers free-form chat requests with the same model (the
    two-round rewrite uses it); ``stats`` reports what the backend counted (tokens, retries, ...)."""

    def __init__(
        self,
        name: str,
        judge: Judge,
        complete: Complete,
        stats: Callable[[], dict],
        close: Callable[[], None] = lambda: None,
    ):
        self.name = name
        self.judge = judge
        self.complete = complete
        self.stats = stats
        self.close = close

    def label(self, question: Question, answer1: str, answer2: str) -> PairLabel:
        return self.label_many([(question, answer1, answer2)])[0]

    def label_many(self, requests: Sequence[LabelRequest]) -> list[PairLabel]:
        items = [JudgeItem(prompt_pair(question, a1, a2)) for question, a1, a2 in requests]
        return [to_label(judgment) for judgment in self.judge.judge(items)] if items else []

    def grade(self, question: Question, answer: str) -> Grade:
        return self.grade_many([(question, answer)])[0]

    def grade_many(self, requests: Sequence[GradeRequest]) -> list[Grade]:
        labels = self.label_many([(question, question.reference, answer) for question, answer in requests])
        return [Grade(label.score2, label.reason) for label in labels]


def prompt_pair(question: Question, answer1: str, answer2: str) -> Pair:
    """The pair the judge template renders: the question (with its reference) and two answers."""
    return Pair(
        id=question.id,
        question_id=question.id,
        family=question.family,
        category=question.category,
        instruction=question.instruction,
        input=question.input,
        reference=question.reference,
        answer1=answer1,
        answer2=answer2,
        source1="answer1",
        source2="answer2",
    )


def to_label(judgment: Judgment) -> PairLabel:
    """Scores and verdict from the score line, the reason from the lines after it."""
    if judgment.failed:
        return PairLabel(None, None, None, f"teacher failure: {judgment.failure}")
    return PairLabel(judgment.score1, judgment.score2, judgment.verdict, reason_after_score_line(judgment.raw))


def reason_after_score_line(raw: str) -> str:
    """JudgeLM's "s1 s2\\nreason": everything after the score line."""
    lines = raw.strip().split("\n", 1)
    return lines[1].strip() if len(lines) > 1 else ""
