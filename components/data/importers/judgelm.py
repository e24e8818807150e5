"""JudgeLM's judge data (train 100K / val 5K, GPT-4 labelled) as ``Pair`` records.

A record holds ``question_body``, ``answer1_body``, ``answer2_body``, an optional ``reference`` (a
string, or ``{"text": ...}`` as in JudgeLM's files), the reference-free label ``score`` [s1, s2] with
``text`` = "s1 s2\\nreason", and optionally the label made with the reference, ``score_w_reference``
with ``text_w_reference``. The pair's label is the one made with the reference when there is one;
the reference-free label is kept beside it the way the two-round teacher keeps its rewrite
(``reason_no_reference``, ``score1_no_reference``, ``score2_no_reference``), so both training targets
survive the import. The score line of each text must agree with its score field.

JudgeLM's own files mark a GPT-4 failure as ``text == "error"`` (their training loader skips such
rows silently) or as scores of -1; here they are errors naming the row -- use on_error="skip" to
import the rest and keep them in the rejects. Pair ids are JudgeLM's ``question_id`` (as the scorer
reads them), or ``line<N>`` when a file has none; ``question_id`` groups pairs by question text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.rows import Where, build, collect, identifier, json_rows, required, score, text
from components.io import OnError
from components.judges.parsers import parse
from components.schemas import Pair, verdict_from_scores

Label = tuple[float, float, str]


def import_judgelm(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    converted, rejects = collect(json_rows(path), judgelm_pair, on_error, lambda pair: pair.id, "question_id")
    return ImportResult(pairs=flag_repeats([pair for _, pair in converted]), rejects=rejects)


def gold_label_fields(row: dict) -> tuple[str, str]:
    """The one rule for which label of a JudgeLM record is its gold, here and in ``judgeops score`` on a raw
    JudgeLM file: the label made with the reference (``score_w_reference``, ``text_w_reference``) where the
    record has one, else the reference-free ``score`` and ``text``."""
    if row.get("score_w_reference") is not None or row.get("text_w_reference") is not None:
        return "score_w_reference", "text_w_reference"
    return "score", "text"


def judgelm_pair(at: Where, row: dict) -> Pair:
    """One JudgeLM record as a pair (also used for JudgeLM rows in a Hugging Face dataset)."""
    question = text(at, row, "question_body")
    without = _label(at, row, "score", "text")
    has_with = gold_label_fields(row) != ("score", "text")
    with_reference = _label(at, row, *gold_label_fields(row)) if has_with else None
    score1, score2, reason = with_reference or without
    return build(
        at,
        Pair,
        id=identifier(at, row, "question_id") if "question_id" in row else f"line{at.line}",
        question_id=question_id(question),
        family="judgelm",
        category="",
        instruction=question,
        reference=_reference(at, row),
        answer1=text(at, row, "answer1_body"),
        answer2=text(at, row, "answer2_body"),
        source1=_source(at, row, "answer1_model_id", "answer1"),
        source2=_source(at, row, "answer2_model_id", "answer2"),
        score1=score1,
        score2=score2,
        verdict=verdict_from_scores(score1, score2),
        reason=reason,
        reason_no_reference=without[2] if with_reference else "",
        score1_no_reference=without[0] if with_reference else None,
        score2_no_reference=without[1] if with_reference else None,
        teacher="judgelm-gpt-4",
    )


def question_id(question: str) -> str:
    """Stable id of a question text, the same in every run and on every machine."""
    return f"judgelm-{hashlib.sha256(question.encode('utf-8')).hexdigest()[:16]}"


def _label(at: Where, row: dict, scores_field: str, text_field: str) -> Label:
    """(score1, score2, reason) from a score pair and its "s1 s2\\nreason" text, which must agree."""
    scores = required(at, row, scores_field)
    if not isinstance(scores, list) or len(scores) != 2:
        raise at.error(scores_field, f"expected two scores [s1, s2], got {scores!r}")
    score1, score2 = (score(at, scores_field, value) for value in scores)
    written = text(at, row, text_field)
    if written.strip().lower() == "error":
        raise at.error(text_field, "'error': the teacher failed on this row; it is not a label")
    parsed = parse("judgelm", written)
    if parsed.failed:
        raise at.error(text_field, f"no score line: {parsed.failure}")
    if (parsed.score1, parsed.score2) != (score1, score2):
        raise at.error(
            text_field,
            f"score line '{parsed.score1:g} {parsed.score2:g}' disagrees with {scores_field} [{score1:g}, {score2:g}]",
        )
    lines = written.strip().split("\n", 1)
    return score1, score2, lines[1].strip() if len(lines) > 1 else ""


def _reference(at: Where, row: dict) -> str:
    """JudgeLM stores ``{"text": ...}``; a plain string is accepted too; it may be missing."""
    value = row.get("reference")
    if isinstance(value, dict):
        if not isinstance(value.get("text"), str):
            raise at.error("reference.text", f"expected a string, got {type(value.get('text')).__name__}")
        return value["text"]
    return text(at, row, "reference", optional=True)


def _source(at: Where, row: dict, name: str, default: str) -> str:
    return text(at, row, name, optional=True) or default
