"""AlignBench's data: its question release as ``Question`` records, its judgments as ``Pair`` records.

Two shapes, told apart by the fields of the first row (a later row of the other shape is an error naming
it):

- The data release (``data/data_v1.1_release.jsonl``, 683 questions): ``question_id``, ``category``,
  ``subcategory``, ``question``, ``reference``, ``evidences`` -- questions with references and no
  answers. It becomes a question set (``holds == "questions"``), with subcategory and evidences kept in
  ``check``: the source ``generate.questions_from`` reads, where the openai or hf teacher labels answers
  written to them. It cannot become pairs; the warning says so and names what uses it.
- Judgments (pointwise 1-10 scores with a critique), in the shape AlignBench's ``judge.py`` writes:
  ``question_id``, ``category``, optional ``subcategory``, ``question``, ``reference``, ``model_id``,
  ``answer``, ``score`` and the critique ``judgment``. Pairwise data is made the way CritiqueLLM compares
  answers: every two answers to the same question form a pair (in file order), scored with their two
  pointwise scores, the verdict following the scores and the reason holding both critiques. A score of -1
  is AlignBench's mark of a judge failure: an error naming the row, not a label. A question with a single
  answer forms no pair, which the warnings say.

CritiqueLLM's human-scored evaluation sets are another shape again: ``judgeops import critiquellm``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from components.data.importers import ANSWER_FIELDS, NO_REFERENCE, ImportResult, holds_questions_only
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
    first = _first_object(path)
    if first is not None and holds_questions_only(first):
        return _release(path, on_error)
    return _judgments(path, on_error)


def _first_object(path: Path | str) -> dict | None:
    """The file's first row that is a JSON object (None when none is): it decides the file's shape."""
    for _, value in json_rows(path):
        if isinstance(value, dict):
            return value
    return None


def _release(path: Path | str, on_error: OnError) -> ImportResult:
    def convert(at: Where, row: dict) -> Question:
        answers = sorted(ANSWER_FIELDS & row.keys())
        if answers:
            raise at.error("<record>", f"a judgment (fields {', '.join(answers)}) in a file of questions")
        return _question(at, row)

    rows, rejects = collect(json_rows(path), convert, on_error, lambda q: q.id, "question_id")
    result = ImportResult(questions=[question for _, question in rows], rejects=rejects, holds="questions")
    result.warnings.append(
        f"{path} holds questions and references but no answers, so it makes no pairs: its questions are "
        "written instead; set `generate.questions_from` to that file and the generate stage has answers "
        "written to them and labelled by the openai or hf teacher"
    )
    return result


def _judgments(path: Path | str, on_error: OnError) -> ImportResult:
    questions: dict[str, Question] = {}

    def convert(at: Where, row: dict) -> Scored:
        if holds_questions_only(row):
            raise at.error("<record>", "a question without an answer in a file of judgments")
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


def _question(at: Where, row: dict) -> Question:
    question_id = identifier(at, row, "question_id")
    reference = text(at, row, "reference", optional=True)
    check = {
        "question_id": question_id,
        "subcategory": text(at, row, "subcategory", optional=True),
        "reference_source": "alignbench" if reference.strip() else "none",
    }
    if row.get("evidences") is not None:
        check["evidences"] = _evidences(at, row["evidences"])
    return build(
        at,
        Question,
        id=f"alignbench-{question_id}",
        family="alignbench",
        category=text(at, row, "category"),
        instruction=text(at, row, "question"),
        reference=reference if reference.strip() else NO_REFERENCE,
        check=check,
    )


def _evidences(at: Where, value: object) -> list:
    """The release's sources for a reference: a list of ``{"url", "quote"}`` objects, kept as they are."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise at.error("evidences", f"expected a list of objects, got {type(value).__name__}")
    return value


def _scored(at: Where, row: dict) -> Scored:
    return Scored(
        question=_question(at, row),
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
