"""PandaLM's human-annotated test set (testset-v1.json) as ``Pair`` records.

The file has quirks a plain loader trips on (see shared/data/pandalm/README.md): labels that may be
strings, responses that are JSON booleans, empty responses, rows repeated under other ids and rows
holding the same two responses in swapped order. Each repair is flagged on the pair and listed in
the result's warnings, so nothing is changed silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from pathlib import Path

from pydantic import ValidationError

from components.data.importers import ImportResult, flag_repeats
from components.data.importers.rows import reject
from components.io import OnError, RecordError, as_object, iter_json_lines, nonempty
from components.schemas import VERDICTS, Pair

log = logging.getLogger(__name__)

ANNOTATORS = ("annotator1", "annotator2", "annotator3")
_TEXT_FIELDS = ("instruction", "input", "response1", "response2")
EMPTY_TEXT = "[empty]"
"""Stands in for an empty response or instruction: ``Pair`` requires non-empty text, and PandaLM's
test set has 54 empty responses (annotated as the worse answer) and one blank instruction."""


def import_pandalm(path: Path | str, on_error: OnError = "raise") -> ImportResult:
    """Read testset-v1.json (a JSON array of rows; a file holding one JSON object instead is refused, naming
    it): gold verdict = majority of the three annotators, ``annotators`` keeps all three for agreement
    statistics, and duplicate / swapped-twin rows are flagged with the id of the earliest row they match.
    With ``on_error="skip"`` a bad row goes to the rejects instead of raising."""
    result = ImportResult()
    seen: dict[str, int] = {}
    for line, row in nonempty(iter_json_lines(path, expect_array=True), path):
        try:
            pair = _pair(path, line, row, result.warnings)
            if pair.id in seen:
                raise RecordError(path, line, "idx", f"duplicate idx {pair.id} (first at element {seen[pair.id]})")
        except RecordError as error:
            if on_error == "raise":
                raise
            result.rejects.append(reject(error, row))
            continue
        seen[pair.id] = line
        result.pairs.append(pair)
    result.pairs = flag_repeats(result.pairs)
    return result


def question_id(instruction: str, input_text: str) -> str:
    """Stable id of a (instruction, input) context, the same in every run and on every machine."""
    digest = hashlib.sha256(json.dumps([instruction, input_text]).encode("utf-8")).hexdigest()
    return f"pandalm-{digest[:16]}"


def majority(labels: list[int]) -> int | None:
    """The label most annotators gave; None when no label has a majority."""
    (label, count), *_ = Counter(labels).most_common(1)
    return label if count * 2 > len(labels) else None


def _pair(path: Path | str, line: int, row, warnings: list[str]) -> Pair:
    row = as_object(path, line, row)
    flags: list[str] = []
    pair_id = str(_field(path, line, row, "idx"))
    texts = {name: _text(path, line, row, name, flags, warnings) for name in _TEXT_FIELDS}
    annotators = [_label(path, line, row, name) for name in ANNOTATORS]
    verdict = majority(annotators)
    if verdict is None:
        flags.append("no_majority")
        warnings.append(f"{path}:{line}: idx {pair_id}: annotators {annotators} have no majority")
    source1, source2 = _sources(path, line, row)
    try:
        return Pair(
            id=pair_id,
            question_id=question_id(texts["instruction"], texts["input"]),
            family="pandalm",
            category=str(_field(path, line, row, "motivation_app")),
            instruction=texts["instruction"],
            input=texts["input"],
            answer1=texts["response1"],
            answer2=texts["response2"],
            source1=source1,
            source2=source2,
            verdict=verdict,
            annotators=annotators,
            teacher="human-majority",
            flags=flags,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RecordError(path, line, ".".join(map(str, first["loc"])), first["msg"]) from None


def _field(path: Path | str, line: int, row: dict, name: str):
    if name not in row:
        raise RecordError(path, line, name, "missing")
    return row[name]


def _text(path: Path | str, line: int, row: dict, name: str, flags: list[str], warnings: list[str]) -> str:
    """The field as text. JSON booleans become "True"/"False" and empty responses or instructions
    become ``EMPTY_TEXT`` (both flagged); the optional input may stay empty."""
    value = _field(path, line, row, name)
    if isinstance(value, bool):
        flags.append("bool_cast")
        warnings.append(f"{path}:{line}: field '{name}': JSON boolean {json.dumps(value)} cast to str")
        log.warning("%s:%s: field '%s': JSON boolean cast to str", path, line, name)
        value = str(value)
    if not isinstance(value, str):
        raise RecordError(path, line, name, f"expected a string, got {type(value).__name__}")
    if name != "input" and not value.strip():
        flags.append(f"empty_{name}")
        warnings.append(f"{path}:{line}: field '{name}': empty, replaced by {EMPTY_TEXT!r}")
        value = EMPTY_TEXT
    return value


def _label(path: Path | str, line: int, row: dict, name: str) -> int:
    """An annotator label as an int; the file sometimes stores them as strings ("2")."""
    value = _field(path, line, row, name)
    try:
        label = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        label = None
    if label not in VERDICTS:
        raise RecordError(path, line, name, f"expected a label in {VERDICTS}, got {value!r}")
    return label


def _sources(path: Path | str, line: int, row: dict) -> tuple[str, str]:
    """ "bloom-7b_llama-7b" -> ("bloom-7b", "llama-7b"): the models that wrote response1 and response2."""
    cmp_key = _field(path, line, row, "cmp_key")
    parts = cmp_key.split("_") if isinstance(cmp_key, str) else []
    if len(parts) != 2 or not all(parts):
        raise RecordError(path, line, "cmp_key", f"expected '<model1>_<model2>', got {cmp_key!r}")
    return parts[0], parts[1]
