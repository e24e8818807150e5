"""What every importer does with one row of its input: check each field it reads, name the file, line
and field of every problem, and with ``on_error="skip"`` keep going with the bad row in the rejects."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from components.io import OnError, RecordError, as_object, iter_json_lines, nonempty
from components.vocabulary import SCORE_RANGE

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class Where:
    """A row's place in its input: the file (or dataset and split) and the 1-based line or row."""

    file: str
    line: int

    def error(self, field: str, reason: str) -> RecordError:
        return RecordError(self.file, self.line, field, reason)


Row = tuple[Where, object]  # the parsed JSON value, or the error that stopped parsing it


def json_rows(path: Path | str) -> Iterator[Row]:
    """The rows of a JSONL file (or of one JSON array) with their places; an empty file is an error."""
    for line, value in nonempty(iter_json_lines(path), path):
        yield Where(str(path), line), value


def collect(
    rows: Iterable[Row],
    convert: Callable[[Where, dict], T],
    on_error: OnError,
    key: Callable[[T], str],
    key_field: str,
) -> tuple[list[tuple[Where, T]], list[dict]]:
    """``convert`` each row that is a JSON object, refusing a second row with the same ``key`` (found
    in the input's ``key_field``). Errors raise, or with ``on_error="skip"`` become rejects."""
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    converted: list[tuple[Where, T]] = []
    rejects: list[dict] = []
    first_seen: dict[str, int] = {}
    for at, value in rows:
        try:
            record = convert(at, as_object(at.file, at.line, value))
            record_key = key(record)
            if record_key in first_seen:
                raise at.error(key_field, f"duplicate id {record_key!r} (first at line {first_seen[record_key]})")
        except RecordError as error:
            if on_error == "raise":
                raise
            rejects.append(reject(error, value))
            continue
        first_seen[record_key] = at.line
        converted.append((at, record))
    return converted, rejects


def reject(error: RecordError, value: object) -> dict:
    """A rejects-file entry, in the shape ``components.io.read_records`` gives."""
    record = value if isinstance(value, dict) else None
    return {"file": error.path, "line": error.line, "field": error.field, "reason": error.reason, "record": record}


def required(at: Where, row: dict, name: str):
    """The field's value; a missing field or a null is an error."""
    if row.get(name) is None:
        raise at.error(name, "missing")
    return row[name]


def text(at: Where, row: dict, name: str, optional: bool = False) -> str:
    """A string field; required ones must not be blank, optional ones may be missing (-> "")."""
    value = row.get(name) if optional else required(at, row, name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise at.error(name, f"expected a string, got {type(value).__name__}")
    if not optional and not value.strip():
        raise at.error(name, "empty")
    return value


def identifier(at: Where, row: dict, name: str) -> str:
    """An id given as a string or an integer (JSON booleans are not ids)."""
    value = required(at, row, name)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise at.error(name, f"expected a string or an integer id, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip():
        raise at.error(name, "empty")
    return str(value)


def score(at: Where, name: str, value: object) -> float:
    """A 1-10 score (JSON number, not a boolean). JudgeLM and AlignBench write -1 for a judge that
    failed; that is a failure, not a score."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise at.error(name, f"expected a number, got {value!r}")
    if value == -1:
        raise at.error(name, "-1: the judge failed on this row; it is not a label")
    low, high = SCORE_RANGE
    if not low <= value <= high:
        raise at.error(name, f"score {value:g} out of range {low:g}-{high:g}")
    return float(value)


def build(at: Where, model: type[M], **fields) -> M:
    """``model(**fields)``, a validation error named by file, line and field."""
    try:
        return model(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise at.error(".".join(str(part) for part in first["loc"]) or "<record>", first["msg"]) from None
