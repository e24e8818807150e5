"""Our own canonical pairs (JSONL or one JSON array, as ``judgeops import`` or generate writes them),
validated: the schema, unique ids, and a verdict that agrees with the scores when both are given. A file
of questions (no answers) is refused up front, saying what uses it, rather than line by line."""

from __future__ import annotations

from pathlib import Path

from components.data.importers import ImportResult, refuse_question_set
from components.data.importers.rows import Where, build, collect, json_rows
from components.io import OnError
from components.schemas import Pair, verdict_from_scores


def import_jsonl(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    refuse_question_set(path)
    rows, rejects = collect(json_rows(path), canonical_pair, on_error, lambda pair: pair.id, "id")
    return ImportResult(pairs=[pair for _, pair in rows], rejects=rejects)


def canonical_pair(at: Where, row: dict) -> Pair:
    """A row holding ``Pair``'s fields (nulls read as "not given", as datasets fill missing columns)."""
    pair = build(at, Pair, **{name: value for name, value in row.items() if value is not None})
    if None not in (pair.score1, pair.score2, pair.verdict):
        expected = verdict_from_scores(pair.score1, pair.score2)
        if pair.verdict != expected:
            raise at.error(
                "verdict",
                f"{pair.verdict} contradicts scores {pair.score1:g} and {pair.score2:g} (they give {expected})",
            )
    return pair
