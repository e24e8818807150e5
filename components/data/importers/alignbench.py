"""AlignBench / CritiqueLLM judgments (pointwise 1-10 scores with a critique) as ``Pair`` records.

A row is one model's answer to one question with its judge's overall score, in the shape AlignBench's
``judge.py`` writes: ``question_id``, ``category``, optional ``subcategory``, ``question``,
``reference``, ``model_id``, ``answer``, ``score`` and the critique ``judgment``. Pairwise data is
made the way CritiqueLLM compares answers: every two answers to the same question form a pair (in
file order), scored with their two pointwise scores, the verdict following the scores and the reason
holding both critiques. A score of -1 is AlignBench's mark of a judge failure: an error naming the
row, not a label. A question with a single answer forms no pair, which the warnings say.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from components.data.importers import NO_REFERENCE, ImportResult
from components.data.importers.rows import Where, build, collect, identifier, json_rows, required, score, text
from components.io import OnError
from components.schemas import Pair, Question, verdict_from_scores


@dataclass(frozen=True)
class Scored:
    """One row: an answer with its pointwise score and critique."""

    question: Question
    model: str
    answer: str
    score: float
    judgment: str


def import_alignbench(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    questions: dict[str, Question] = {}

    def convert(at: Where, row: dict) -> Scored:
        scored = _scored(at, row)
        known = questions.setdefault(scored.question.id, scored.question)
        if known.instruction != scored.question.instruction:
            raise at.error("question", f"differs from the earlier row with question_id {known.check['question_id']}")
        return scored

    rows, rejects = collect(json_rows(path), convert, on_error, lambda s: f"{s.question.id}|{s.model}", "model_id")
    by_question: dict[str, list[Scored]] = {}
    for _, scored in rows:
        by_question.setdefault(scored.question.id, []).append(scored)
    result = ImportResult(questions=list(questions.values()), rejects=rejects)
    for question_id, answers in by_question.items():
        if len(answers) < 2:
            result.warnings.append(f"{path}: question {question_id} has one scored answer: no pair")
        result.pairs += [_pair(a, b) for a, b in itertools.combinations(answers, 2)]
    return result


def _scored(at: Where, row: dict) -> Scored:
    question_id = identifier(at, row, "question_id")
    reference = text(at, row, "reference", optional=True)
    question = build(
        at,
        Question,
        id=f"alignbench-{question_id}",
        family="alignbench",
        category=text(at, row, "category"),
        instruction=text(at, row, "question"),
        reference=reference if reference.strip() else NO_REFERENCE,
        check={
            "question_id": question_id,
            "subcategory": text(at, row, "subcategory", optional=True),
            "reference_source": "alignbench" if reference.strip() else "none",
        },
    )
    return Scored(
        question=question,
        model=identifier(at, row, "model_id"),
        answer=text(at, row, "answer"),
        score=score(at, "score", required(at, row, "score")),
        judgment=text(at, row, "judgment", optional=True),
    )


def _pair(first: Scored, second: Scored) -> Pair:
    question = first.question
    has_reference = question.check["reference_source"] != "none"
    reason = (
        f"Assistant 1: {first.judgment.strip()}\n\nAssistant 2: {second.judgment.strip()}"
        if first.judgment.strip() and second.judgment.strip()
        else ""
    )
    return Pair(
        id=f"{question.id}:{first.model}:{second.model}",
        question_id=question.id,
        family="alignbench",
        category=question.category,
        instruction=question.instruction,
        reference=question.reference if has_reference else "",
        answer1=first.answer,
        answer2=second.answer,
        source1=first.model,
        source2=second.model,
        score1=first.score,
        score2=second.score,
        verdict=verdict_from_scores(first.score, second.score),
        reason=reason,
        teacher="alignbench",
    )
