"""The offline teacher: ground truth from each family's verifier, scored on CritiqueLLM's bands.

Bands: 1-2 empty, refused, off topic or wrong; 3-4 low (on the task but no final answer); 5-6
partly right; 7-8 correct but off-format or padded; 9-10 correct and concise. Everything is a
function of (question, answer), so labels are deterministic and a pair judged in the other order
gets exactly the mirrored label: scores swapped, verdict mirrored, "Assistant 1/2" swapped.
Reasons are short (at most 30 words) because they are a training target for a 135M judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.data.families import get_family
from components.data.families.base import about
from components.data.text import is_refusal, relevant, words
from components.schemas import TIE, Question, verdict_from_scores
from components.teachers.base import PairLabel

MAX_REASON_WORDS = 30


@dataclass(frozen=True)
class Grade:
    score: int
    reason: str


@dataclass(frozen=True)
class _Assessment:
    score: int
    label: str  # what the answer is, as an adjective phrase: "correct and concise"
    detail: str  # what is right or wrong in it, from the verifier: "gives 20, not 19"


class OracleTeacher:
    name = "oracle"

    def grade(self, question: Question, answer: str) -> Grade:
        a = _assess(question, answer)
        return Grade(a.score, f"The answer is {a.label}" + (f": {a.detail}." if a.detail else "."))

    def judge_pair(self, question: Question, answer1: str, answer2: str) -> PairLabel:
        first, second = _assess(question, answer1), _assess(question, answer2)
        verdict = verdict_from_scores(first.score, second.score)
        return PairLabel(first.score, second.score, verdict, _reason(first, second, verdict))

    def label(self, question: Question, answer1: str, answer2: str) -> PairLabel:
        """The Teacher protocol's name for judge_pair."""
        return self.judge_pair(question, answer1, answer2)


def _assess(question: Question, answer: str) -> _Assessment:
    if not answer.strip():
        return _Assessment(1, "empty", "")
    check = get_family(question.family).check(question, answer)
    length, reference = len(words(answer)), len(words(question.reference))
    padded = length > 2 * reference + 20
    if check.correct and not check.format_ok:
        return _Assessment(7, "correct but off-format", check.detail)
    if check.correct and padded:
        return _Assessment(8, "correct but padded", check.detail)
    if check.correct and length > reference + 12:
        return _Assessment(9, "correct but a little long", check.detail)
    if check.correct:
        return _Assessment(10, "correct and concise", check.detail)
    if check.partial:
        return _Assessment(5 if padded else 6, "partly right", check.detail)
    if is_refusal(answer):
        return _Assessment(1, "a refusal", "")
    if check.answered:
        return _Assessment(2, "wrong", check.detail)
    if relevant(about(question), answer):
        return _Assessment(3, "incomplete", check.detail)
    return _Assessment(1, "off topic", "")


def _reason(first: _Assessment, second: _Assessment, verdict: int) -> str:
    """Better answer first (ties in a fixed order), so the reason for the swapped pair is this
    one with the Assistant numbers traded."""
    for with_detail in (True, False):
        text = _compose(first, second, verdict, with_detail)
        if len(text.split()) <= MAX_REASON_WORDS:
            return text
    return text


def _compose(first: _Assessment, second: _Assessment, verdict: int, with_detail: bool) -> str:
    def says(a: _Assessment) -> str:
        return a.label + (f": {a.detail}" if with_detail and a.detail else "")

    if verdict == TIE and says(first) == says(second):
        return f"Both are {says(first)}. A tie."
    clauses = [(says(first), 1), (says(second), 2)]
    if verdict == TIE:
        clauses.sort()
    elif verdict == 2:
        clauses.reverse()
    body = "; ".join(f"Assistant {n} is {text}" for text, n in clauses)
    return f"{body}. " + ("A tie." if verdict == TIE else f"Assistant {clauses[0][1]} is better.")
