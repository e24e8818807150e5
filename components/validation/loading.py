"""Reading dataset files for validation through components.io, without stopping at the first bad line.

Every line becomes a record (remembering its ``file:line`` for reports) and a row in a ``lines``
frame whose ``error`` names the field and the reason where the line did not parse; the suites check
that column like any other, so a broken line is a critical failure in the report, not an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from components.io import iter_json_lines, read_records
from components.validation import frames

PathLike = str | Path
Paths = PathLike | Sequence[PathLike] | Mapping[str, PathLike]


def load(paths: Paths, model: type[BaseModel], splits: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(records, lines) for one file, or for split files read together (``splits``: a mapping
    {split: path}, a list of paths named by their stem, e.g. train.jsonl -> train, or one file
    whose records carry their ``split`` field)."""
    if not splits or isinstance(paths, (str, Path)):
        records, lines = _load_one(Path(paths), model)
        return (frames.split_frame(records) if splits else records), lines
    named = paths.items() if isinstance(paths, Mapping) else [(Path(p).stem, p) for p in paths]
    parts = [(split, *_load_one(Path(path), model)) for split, path in named]
    if not parts:
        return frames.split_frame({}), _lines([], [])
    records = pd.concat([r.assign(**{frames.SPLIT: split}) for split, r, _ in parts], ignore_index=True)
    return records, pd.concat([lines for _, _, lines in parts], ignore_index=True)


def _load_one(path: Path, model: type[BaseModel]) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        loaded = read_records(path, model, on_error="skip", unique=None)
        numbers = [line for line, _ in iter_json_lines(path)]
    except (OSError, UnicodeDecodeError) as exc:
        return frames.to_frame([]), _lines([str(path)], [f"cannot read: {exc}"])
    errors = {r["line"]: f"field '{r['field']}': {r['reason']}" for r in loaded.rejects}
    good = [n for n in numbers if n not in errors]
    records = frames.to_frame(loaded.records)
    records[frames.WHERE] = [f"{path}:{n}" for n in good]
    return records, _lines([f"{path}:{n}" for n in numbers], [errors.get(n) for n in numbers])


def _lines(where: list[str], errors: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({frames.WHERE: where, "error": errors}, dtype=object)
