"""LLMBar (princeton-nlp/LLMBar, ``Dataset/LLMBar``) as ``Pair`` records: five subsets of instruction-following
pairs with expert labels, ``Natural`` and ``Adversarial/{Neighbor, GPTInst, GPTOut, Manual}``.

Each subset's ``dataset.json`` is a JSON array of ``{"input", "output_1", "output_2", "label": 1 | 2}`` (the label
names the output that follows the instruction; there are no ties and no reference answer). ``path`` is one
``dataset.json`` (its subset read from the folders above it) or a folder holding the subsets (``Dataset/LLMBar``),
which imports all five found there in the order above. The subset is kept as the pair's ``category`` and the
file has no ids, so a pair's id is its subset and 1-based position (``llmbar-adversarial-neighbor-007``), which
``judgeops score`` checks against an evaluator's ``result.json`` by content, never by position alone. An
evaluator's ``result.json`` imports the same way (its ``results`` are ignored here; ``judgeops score`` reads them).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.rows import Where, build, collect, json_rows, required, text
from components.io import InputError, OnError
from components.schemas import Pair

SUBSETS = ("Natural", "Adversarial/Neighbor", "Adversarial/GPTInst", "Adversarial/GPTOut", "Adversarial/Manual")
DATASET = "dataset.json"


def import_llmbar(path: Path | str, on_error: OnError = "raise", subset: str | None = None) -> ImportResult:
    """Every subset under a folder, or one ``dataset.json`` (``subset`` overrides the one its folders name)."""
    path = Path(path)
    files = dataset_files(path) if path.is_dir() else [(subset or subset_of(path), path)]
    result = ImportResult()
    for name, file in files:

        def convert(at: Where, row: dict, name: str = name) -> Pair:
            return llmbar_pair(at, row, name)

        rows, rejects = collect(json_rows(file), convert, on_error, lambda pair: pair.id, "<position>")
        result.pairs += [pair for _, pair in rows]
        result.rejects += rejects
    result.pairs = flag_repeats(result.pairs)
    return result


def dataset_files(folder: Path) -> list[tuple[str, Path]]:
    """(subset, file) for each of the five subsets found under ``folder`` (LLMBar's ``Dataset/LLMBar``)."""
    found = [(name, folder / name / DATASET) for name in SUBSETS if (folder / name / DATASET).is_file()]
    if not found:
        raise InputError(f"{folder}: no LLMBar subset here (expected {', '.join(f'{s}/{DATASET}' for s in SUBSETS)})")
    return found


def subset_of(file: Path) -> str:
    """The subset a ``dataset.json`` (or an evaluator's ``result.json``) belongs to, from the folders above it."""
    for folder in file.resolve().parents:
        if folder.name == "Natural":
            return "Natural"
        if folder.parent.name == "Adversarial" and f"Adversarial/{folder.name}" in SUBSETS:
            return f"Adversarial/{folder.name}"
    return file.resolve().parent.name or "LLMBar"


def pair_id(subset: str, position: int) -> str:
    return f"llmbar-{subset.lower().replace('/', '-')}-{position:03d}"


def llmbar_pair(at: Where, row: dict, subset: str) -> Pair:
    instruction = text(at, row, "input")
    answers = text(at, row, "output_1"), text(at, row, "output_2")
    label = required(at, row, "label")
    if isinstance(label, bool) or label not in (1, 2):
        raise at.error("label", f"expected 1 or 2 (the output that follows the instruction), got {label!r}")
    return build(
        at,
        Pair,
        id=pair_id(subset, at.line),
        question_id=f"llmbar-{hashlib.sha256(instruction.encode('utf-8')).hexdigest()[:16]}",
        family="llmbar",
        category=subset,
        instruction=instruction,
        answer1=answers[0],
        answer2=answers[1],
        source1="output_1",
        source2="output_2",
        verdict=label,
        teacher="llmbar-expert",
    )
