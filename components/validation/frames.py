"""The pandas side of validation: records to frames, and the aggregates GX has no expectation for.

Frames keep object dtype so each value stays the Python value it was read as (pandas would turn
[1, None] into [1.0, nan] and a JSON boolean answer into a bool column). ``schema_columns`` names
each row's wrongly typed fields for the one schema check, and the ``rows`` copy blanks those values
so that a bad value is reported once, by that check, not again by every range or length check.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel

from components.schemas import VERDICT_NAMES, VERDICTS, mirror, verdict_from_scores
from components.validation.checks import field_types

WHERE = "_where"
SPLIT = "_split"
PY_TYPES = {
    "str": (str,),
    "number": (numbers.Real,),
    "bool": (bool, np.bool_),
    "list": (list,),
    "dict": (dict,),
}


def to_frame(data, where: str = "row") -> pd.DataFrame:
    """Records (pydantic models or dicts) or a DataFrame as an object-dtype frame with a ``_where``
    column ("row 3") that reports use to point at a row."""
    if isinstance(data, pd.DataFrame):
        frame = data.astype(object).reset_index(drop=True)
    else:
        rows = [r.model_dump() if isinstance(r, BaseModel) else dict(r) for r in data]
        frame = pd.DataFrame(rows, dtype=object)
    if WHERE not in frame.columns:
        frame[WHERE] = [f"{where} {i}" for i in range(len(frame))]
    return frame


def split_frame(data) -> pd.DataFrame:
    """Split files together, one frame with the split name in ``_split``: a mapping {split: records}
    names each part; a single frame or record list uses each record's own ``split`` field."""
    if isinstance(data, Mapping):
        parts = [to_frame(part, where=f"{name} row").assign(**{SPLIT: name}) for name, part in data.items()]
        return pd.concat(parts, ignore_index=True) if parts else to_frame([]).assign(**{SPLIT: None})
    frame = to_frame(data)
    frame[SPLIT] = frame["split"] if "split" in frame.columns else None
    return frame


def schema_columns(raw: pd.DataFrame, model: type[BaseModel], text: list[str]) -> pd.DataFrame:
    """``raw`` plus two per-row summaries for the schema checks: ``_type_errors`` ("answer1: bool,
    expected str") and ``_null_fields`` (non-optional fields that are null, other than the ``text``
    columns, which have a not-null check each); None where the row is fine."""
    fields = {name: field_types(info.annotation) for name, info in model.model_fields.items() if name in raw}
    type_errors, null_fields = [], []
    for row in raw[list(fields)].itertuples(index=False, name=None):
        bad_types, nulls = [], []
        for (name, (names, nullable)), value in zip(fields.items(), row, strict=True):
            if _is_null(value):
                if not nullable and name not in text:
                    nulls.append(name)
            elif not isinstance(value, _allowed(names)):
                bad_types.append(f"{name}: {type(value).__name__}, expected {'/'.join(names)}")
        type_errors.append("; ".join(bad_types) or None)
        null_fields.append(", ".join(nulls) or None)
    return raw.assign(_type_errors=pd.Series(type_errors, index=raw.index, dtype=object)).assign(
        _null_fields=pd.Series(null_fields, index=raw.index, dtype=object)
    )


def coerce(raw: pd.DataFrame, model: type[BaseModel]) -> pd.DataFrame:
    """A copy where values of the wrong type are None (their type check reports them) and absent
    optional fields take the model's default, as pydantic would fill them in."""
    rows = raw.copy()
    for name, info in model.model_fields.items():
        if name in rows.columns:
            allowed = _allowed(field_types(info.annotation)[0])
            rows[name] = _map(rows[name], lambda v, ok=allowed: v if isinstance(v, ok) else None)
        elif not info.is_required():
            default = info.get_default(call_default_factory=True)
            rows[name] = pd.Series([default] * len(rows), index=rows.index, dtype=object)
    return rows


def verdicts(series: pd.Series) -> pd.Series:
    """The valid verdicts of a column as ints (None where missing or outside {0, 1, 2})."""
    return _map(series, lambda v: int(v) if _is_verdict(v) else None)


def score_verdicts(rows: pd.DataFrame) -> pd.Series:
    """The verdict each row's two scores imply (JudgeLM's rule); None where a score is missing or
    the row's own verdict is invalid (the in-set check reports that one)."""
    implied = [
        verdict_from_scores(a, b) if _is_number(a) and _is_number(b) and _is_verdict(v) else None
        for a, b, v in zip(rows["score1"], rows["score2"], rows["verdict"], strict=True)
    ]
    return pd.Series(implied, index=rows.index, dtype=object)


def label_shares(series: pd.Series) -> pd.DataFrame:
    """One row per label (tie, 1, 2) with its share of the valid verdicts; an absent label has 0."""
    valid = verdicts(series).dropna()
    total = len(valid)
    counts = valid.value_counts()
    return pd.DataFrame(
        {
            "label": [VERDICT_NAMES[v] for v in VERDICTS],
            "count": [int(counts.get(v, 0)) for v in VERDICTS],
            "share": [float(counts.get(v, 0)) / total if total else 0.0 for v in VERDICTS],
        },
        dtype=object,
    )


def swap_consistency(rows: pd.DataFrame) -> tuple[float | None, int, str]:
    """(share of swap comparisons where the verdict mirrors, comparisons, where they came from).

    Two sources, both optional: a ``swap_verdict`` column (the teacher's verdict with the answers
    swapped) and ``swapped_twin:<id>`` flags (another row holding the same answers the other way
    round, as the PandaLM importer marks them; each twin pair counts once)."""
    verdict = verdicts(rows["verdict"])
    agree: list[bool] = []
    sources = []
    if "swap_verdict" in rows.columns:
        both = [
            (v, s)
            for v, s in zip(verdict, verdicts(rows["swap_verdict"]), strict=True)
            if v is not None and s is not None
        ]
        agree += [s == mirror(v) for v, s in both]
        sources.append(f"{len(both)} swap_verdict values")
    twins = _twins(rows) if "id" in rows.columns else set()
    if twins:
        by_id = dict(zip(rows["id"], verdict, strict=True))
        both = [(by_id.get(a), by_id.get(b)) for a, b in sorted(twins)]
        both = [(a, b) for a, b in both if a is not None and b is not None]
        agree += [b == mirror(a) for a, b in both]
        sources.append(f"{len(both)} swapped-twin pairs")
    return (sum(agree) / len(agree) if agree else None), len(agree), ", ".join(sources)


def flag_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """The repair flags importers put on pairs, as columns GX can check: ``duplicate_of`` (the id
    this row repeats), ``bool_cast`` (a JSON boolean answer was cast to text) and ``empty_text``
    (an empty field was replaced by a placeholder)."""
    flags = [_flag_list(f) for f in rows["flags"]]
    return pd.DataFrame(
        {
            "duplicate_of": [
                next((f.split(":", 1)[1] for f in fs if f.startswith("duplicate_of:")), None) for fs in flags
            ],
            "bool_cast": ["bool_cast" in fs for fs in flags],
            "empty_text": [any(f.startswith("empty_") for f in fs) for fs in flags],
        },
        index=rows.index,
        dtype=object,
    )


def sources_per_question(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per question: how many distinct answer sources it has, and which."""
    valid = rows.dropna(subset=["question_id", "source"])
    grouped = valid.groupby("question_id", sort=True)["source"]
    return pd.DataFrame(
        {
            "question_id": list(grouped.groups),
            "sources": [",".join(sorted(set(s))) for _, s in grouped],
            "n_sources": [len(set(s)) for _, s in grouped],
        },
        dtype=object,
    )


def question_splits(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per question: the splits its pairs are in (more than one is leakage)."""
    valid = rows.dropna(subset=["question_id", SPLIT])
    grouped = valid.groupby("question_id", sort=True)[SPLIT]
    return pd.DataFrame(
        {
            "question_id": list(grouped.groups),
            "splits": [",".join(sorted(set(s))) for _, s in grouped],
            "n_splits": [len(set(s)) for _, s in grouped],
        },
        dtype=object,
    )


def split_sizes(rows: pd.DataFrame, required: Iterable[str]) -> pd.DataFrame:
    """Records per split, with the required splits listed even when they are absent."""
    counts = rows[SPLIT].dropna().value_counts()
    names = list(dict.fromkeys([*required, *counts.index]))
    return pd.DataFrame({"split": names, "records": [int(counts.get(n, 0)) for n in names]}, dtype=object)


def share(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def _twins(rows: pd.DataFrame) -> set[tuple[str, str]]:
    return {
        tuple(sorted((pair_id, flag.split(":", 1)[1])))
        for pair_id, flags in zip(rows["id"], rows["flags"], strict=True)
        for flag in _flag_list(flags)
        if flag.startswith("swapped_twin:")
    }


def _allowed(names: tuple[str, ...]) -> tuple[type, ...]:
    return tuple(t for n in names for t in PY_TYPES[n])


def _is_null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _map(series: pd.Series, fn) -> pd.Series:
    """``Series.map`` without pandas' type inference, which would turn [1, None] into [1.0, nan]."""
    return pd.Series([fn(v) for v in series], index=series.index, dtype=object)


def _flag_list(flags) -> list[str]:
    return [f for f in flags if isinstance(f, str)] if isinstance(flags, list) else []


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and value == value


def _is_verdict(value) -> bool:
    return _is_number(value) and float(value).is_integer() and int(value) in VERDICTS
