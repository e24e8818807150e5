"""What every teacher gives: 1-10 scores for both answers, the verdict and a short reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from components.schemas import Question


@dataclass(frozen=True)
class PairLabel:
    score1: float | None
    score2: float | None
    verdict: int | None
    reason: str


class Graded(Protocol):
    score: float
    reason: str


class Teacher(Protocol):
    name: str

    def grade(self, question: Question, answer: str) -> Graded:
        """A single answer's 1-10 score and why (used to sample tie and non-tie pairs)."""

    def label(self, question: Question, answer1: str, answer2: str) -> PairLabel:
        """Both answers scored, in the order given."""
