"""CritiqueLLM's human-scored evaluation sets (thu-coai/CritiqueLLM, ``data/evaluation/``) as gold records.

These are the sets CritiqueLLM's paper measures its judge on; imported whole, ``judgeops score`` measures
any judge on them the way the paper does. Two shapes, each reference-based (with ``reference``) or
reference-free (without the column), told apart by the fields of the first row; a later row of the
other shape is an error naming it:

- pairwise: ``id``, ``category``, ``question``, ``reference``, ``response_1``, ``response_2``,
  ``human_score_1``, ``human_score_2``, ``label`` (0: response_1 is better, 1: response_2 is better;
  there are no ties) -> a ``Pair`` whose verdict follows the label (0 -> 1, 1 -> 2) and whose scores
  are the two human scores. A label the scores contradict (or scores that tie) is an error naming the
  row: the released files have none, so one is a damaged row, not a label to guess at.
- pointwise: ``id``, ``category``, ``question``, ``reference``, ``response``, ``model``,
  ``human_score`` -> a ``ScoredAnswer``: one answer has no pair (a ``Pair`` needs two answers, and
  pairing the answers would lose the per-answer scores the pointwise evaluation correlates with).

Human scores are 1-5, written as ints, floats or float strings (``"4.0"``). They are kept on that
scale, not rescaled to our 1-10: pairs carry the flag ``scale:1-5``, scored answers ``scale="1-5"``.
A record's id is the row's own ``id`` (what a predictions file names); its ``question_id`` is a hash of
the question text, because a pointwise file repeats a question on several rows (one per model), and
that is what text-level correlation groups by.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Literal

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.rows import Where, build, collect, identifier, json_rows, required, text
from components.io import OnError
from components.schemas import FIRST, SCALE_FLAG, SECOND, TIE, Pair, ScoredAnswer, verdict_from_scores

Shape = Literal["pairwise", "pointwise"]
HUMAN_SCALE = "1-5"
HUMAN_RANGE = (1.0, 5.0)
TEACHER = "critiquellm-human"
LABELS = {0: FIRST, 1: SECOND}
SHAPE_FIELDS: dict[Shape, tuple[str, ...]] = {
    "pairwise": ("response_1", "response_2", "human_score_1", "human_score_2", "label"),
    "pointwise": ("response", "model", "human_score"),
}


def import_critiquellm(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    first: dict[str, tuple[Shape, int]] = {}  # the file's shape, set by its first row, and that row's line

    def convert(at: Where, row: dict) -> Pair | ScoredAnswer:
        shape = _shape(at, row)
        file_shape, line = first.setdefault("shape", (shape, at.line))
        if shape != file_shape:
            raise at.error("<record>", f"a {shape} row in a {file_shape} file (as line {line} is)")
        return _pair(at, row) if shape == "pairwise" else _scored(at, row)

    rows, rejects = collect(json_rows(path), convert, on_error, lambda record: record.id, "id")
    records = [record for _, record in rows]
    if first.get("shape", ("pairwise", 0))[0] == "pointwise":
        return ImportResult(scored=records, rejects=rejects, holds="scored")
    return ImportResult(pairs=flag_repeats(records), rejects=rejects)


def question_id(question: str) -> str:
    """Stable id of a question text, the same in every file, run and machine."""
    return f"critiquellm-{hashlib.sha256(question.encode('utf-8')).hexdigest()[:16]}"


def _shape(at: Where, row: dict) -> Shape:
    """The shape whose own fields the row has more of (a damaged row still names its missing field)."""
    hits = {shape: len(row.keys() & set(fields)) for shape, fields in SHAPE_FIELDS.items()}
    best = max(hits, key=hits.__getitem__)
    if hits[best]:
        return best
    wanted = "; ".join(f"{shape}: {', '.join(fields)}" for shape, fields in SHAPE_FIELDS.items())
    raise at.error("<record>", f"not a CritiqueLLM evaluation row (fields {', '.join(sorted(row))}); expected {wanted}")


def _pair(at: Where, row: dict) -> Pair:
    score1, score2 = human_score(at, row, "human_score_1"), human_score(at, row, "human_score_2")
    verdict = _verdict(at, row, score1, score2)
    return build(
        at,
        Pair,
        **_question_side(at, row),
        answer1=text(at, row, "response_1"),
        answer2=text(at, row, "response_2"),
        source1="response_1",
        source2="response_2",
        score1=score1,
        score2=score2,
        verdict=verdict,
        teacher=TEACHER,
        flags=[f"{SCALE_FLAG}{HUMAN_SCALE}"],
    )


def _question_side(at: Where, row: dict) -> dict:
    """The fields both shapes fill the same way (``schemas.Judged``): the row's id, its question, grouped by
    text because a question's rows are not adjacent in the released files, and the optional reference."""
    question = text(at, row, "question")
    return {
        "id": identifier(at, row, "id"),
        "question_id": question_id(question),
        "family": "critiquellm",
        "category": text(at, row, "category"),
        "instruction": question,
        "reference": text(at, row, "reference", optional=True),
    }


def _scored(at: Where, row: dict) -> ScoredAnswer:
    return build(
        at,
        ScoredAnswer,
        **_question_side(at, row),
        answer=text(at, row, "response"),
        source=identifier(at, row, "model"),
        score=human_score(at, row, "human_score"),
        scale=HUMAN_SCALE,
        teacher=TEACHER,
    )


def human_score(at: Where, row: dict, name: str) -> float:
    """A 1-5 human score: a JSON number or a number written as a string ("4", "4.0"), never a boolean."""
    value = required(at, row, name)
    number = _number(value)
    if number is None:
        raise at.error(name, f"expected a {HUMAN_SCALE} score, got {value!r}")
    low, high = HUMAN_RANGE
    if not low <= number <= high:
        raise at.error(name, f"score {number:g} is outside the human scale {HUMAN_SCALE}")
    return number


def _number(value: object) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _verdict(at: Where, row: dict, score1: float, score2: float) -> int:
    """The label as a verdict (0 -> 1, 1 -> 2), checked against the two human scores."""
    label = required(at, row, "label")
    if isinstance(label, bool) or label not in LABELS:
        raise at.error("label", f"expected 0 (response_1 is better) or 1 (response_2 is better), got {label!r}")
    verdict, by_scores = LABELS[label], verdict_from_scores(score1, score2)
    if by_scores == TIE:
        raise at.error("label", f"label {label} names a better response, but the human scores tie at {score1:g}")
    if verdict != by_scores:
        raise at.error(
            "label",
            f"label {label} says response_{verdict} is better, but the human scores "
            f"{score1:g} and {score2:g} say response_{by_scores}",
        )
    return verdict
