"""The entry points: validate records in memory, one file, or a whole gate of datasets.

A gate is one coherent set of outputs (one run's questions, answers, pairs, splits): when it holds a
``questions`` dataset, its ids are handed to the answers and pairs suites so that records pointing
at unknown questions fail too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from components.config import ValidateParams
from components.validation import frames, loading
from components.validation.checks import CRITICAL, Check
from components.validation.engine import run_plan
from components.validation.results import GateResult, SuiteResult
from components.validation.suites import SUITES, Plan, Table, build

GateSpec = dict[str, tuple[str, loading.Paths]]


def validate_records(
    dataset_name: str, suite: str, frame_or_records, params: ValidateParams, extra: dict | None = None
) -> SuiteResult:
    """Validate records already in memory: a DataFrame, or a list of pydantic records or dicts.
    For the ``splits`` suite, a mapping {split: records} (or records carrying ``split``).
    ``extra`` may hold ``question_ids`` (answers, pairs: each record must name one of them)."""
    _known(suite)
    raw = frames.split_frame(frame_or_records) if suite == "splits" else frames.to_frame(frame_or_records)
    return _validate(dataset_name, suite, raw, None, params, extra or {})


def validate_file(
    path: loading.Paths,
    suite: str,
    params: ValidateParams,
    extra: dict | None = None,
    dataset_name: str | None = None,
) -> SuiteResult:
    """Validate a JSONL (or JSON array) file; for ``splits``, a mapping {split: path} or a list of
    split files. Lines that are not valid JSON or do not fit the schema fail the critical
    ``records:parse`` expectation with file:line:field; the remaining records are still checked."""
    _known(suite)
    raw, lines = loading.load(path, SUITES[suite][0], splits=suite == "splits")
    name = dataset_name or (Path(path).stem if isinstance(path, (str, Path)) else suite)
    return _validate(name, suite, raw, lines, params, extra or {})


def run_gate(datasets: GateSpec, params: ValidateParams) -> GateResult:
    """Validate each {name: (suite, path or paths)}; the gate passes when no dataset has a critical
    failure. Question ids from a ``questions`` dataset are checked against answers and pairs."""
    loaded = {}
    for name, (suite, path) in datasets.items():
        _known(suite)
        loaded[name] = (suite, *loading.load(path, SUITES[suite][0], splits=suite == "splits"))
    question_ids = None
    for suite, raw, _ in loaded.values():
        if suite == "questions" and "id" in raw.columns:
            question_ids = (question_ids or set()) | set(raw["id"].dropna())
    results = []
    for name, (suite, raw, lines) in loaded.items():
        extra = {"question_ids": question_ids} if suite in ("answers", "pairs") and question_ids is not None else {}
        results.append(_validate(name, suite, raw, lines, params, extra))
    return GateResult(results)


def _validate(
    name: str, suite: str, raw: pd.DataFrame, lines: pd.DataFrame | None, params: ValidateParams, extra: dict
) -> SuiteResult:
    plan: Plan = build(suite, raw, params, extra)
    if lines is not None:
        plan.tables["lines"] = Table(lines, [frames.WHERE, "error"])
        parse = Check("records:parse", CRITICAL, "ExpectColumnValuesToBeNull", {"column": "error"}, "lines")
        plan.checks.insert(0, parse)
    kept: list = []
    rows = run_plan(name, suite, plan, kept)
    return SuiteResult(name, suite, len(raw), rows, gx_results=kept)


def _known(suite: str) -> None:
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; suites: {', '.join(SUITES)}")
