"""Auto-J's pairwise test set Eval-P (GAIR-NLP/auto-j, ``data/test/testdata_pairwise.jsonl``, 1,392 pairs) as
``Pair`` records. No licence is stated for it: import a copy you have; nothing of it belongs in a repository.

A row is ``{"prompt", "response 1", "response 2", "label", "scenario"}`` with ``label`` 0 (response 1 is better),
1 (response 2) or 2 (tie) -- not our encoding (0 tie, 1 first, 2 second), so it is mapped. ``scenario`` (58 of
them) is kept as the pair's ``category``. The file has no ids: a pair's id is ``autoj-<line>`` (or the row's
``id`` where it has one).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.rows import Where, build, collect, identifier, json_rows, required, text
from components.io import OnError
from components.schemas import FIRST, SECOND, TIE, Pair

LABELS = {0: FIRST, 1: SECOND, 2: TIE}
"""Auto-J's label -> our verdict."""


def import_autoj(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    rows, rejects = collect(json_rows(path), autoj_pair, on_error, lambda pair: pair.id, "id")
    return ImportResult(pairs=flag_repeats([pair for _, pair in rows]), rejects=rejects)


def autoj_pair(at: Where, row: dict) -> Pair:
    prompt = text(at, row, "prompt")
    label = required(at, row, "label")
    if isinstance(label, bool) or not isinstance(label, int) or label not in LABELS:
        raise at.error("label", f"expected 0 (response 1), 1 (response 2) or 2 (tie), got {label!r}")
    return build(
        at,
        Pair,
        id=f"autoj-{identifier(at, row, 'id')}" if "id" in row else f"autoj-{at.line:04d}",
        question_id=f"autoj-{hashlib.sha256(prompt.encode('utf-8')).hexdigest()[:16]}",
        family="autoj",
        category=text(at, row, "scenario"),
        instruction=prompt,
        answer1=text(at, row, "response 1"),
        answer2=text(at, row, "response 2"),
        source1="response 1",
        source2="response 2",
        verdict=LABELS[label],
        teacher="autoj-human",
    )
