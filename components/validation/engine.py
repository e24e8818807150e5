"""Running checks with Great Expectations, and turning its results into ``ExpectationRow``s.

GX takes ~6 s to import, so it is imported on first use and one ephemeral context (progress bars,
analytics and INFO logging off) serves the whole process; each table is then one ``batch.validate``
(~0.1-0.5 s, about 15 ms per expectation).
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import numpy as np

from components.validation.checks import Check
from components.validation.results import ExpectationRow
from components.validation.suites import Plan, Table

EXAMPLES = 5
MAX_EXAMPLE_CHARS = 80

_batch_definition = None


def run_plan(dataset: str, suite: str, plan: Plan, keep: list | None = None) -> list[ExpectationRow]:
    """Every check of the plan, in the plan's order: run per table, or skipped with a note when it
    was marked so or its columns are absent (their existence checks report that). ``keep`` collects
    GX's own (suite, result) per table validated, for Data Docs (components/validation/data_docs.py)."""
    done: dict[str, ExpectationRow] = {}
    for name, table in plan.tables.items():
        runnable = []
        for check in (c for c in plan.checks if c.table == name and not c.skip):
            missing = [c for c in check.columns if c not in table.frame.columns]
            if missing:
                done[check.name] = _skipped(dataset, suite, check, f"column {missing[0]!r} is missing")
            else:
                runnable.append(check)
        done.update({check.name: row for check, row in _validate(dataset, suite, name, table, runnable, keep)})
    return [done.get(check.name) or _skipped(dataset, suite, check, check.note) for check in plan.checks]


def _validate(
    dataset: str, suite: str, name: str, table: Table, checks: list[Check], keep: list | None
) -> list[tuple[Check, ExpectationRow]]:
    if not checks:
        return []
    batch_definition = _batch_definition_whole_frame()  # first: suites need the context to exist
    import great_expectations as gx
    import great_expectations.expectations as gxe

    expectation_suite = gx.ExpectationSuite(name=f"{dataset}.{suite}.{name}")  # one per table: Data Docs pages
    for check in checks:
        cls = getattr(gxe, check.expectation)
        expectation_suite.add_expectation(cls(**check.kwargs, severity=check.severity, meta={"check": check.name}))
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES}
    index = [c for c in table.index if c in table.frame.columns]
    if index:
        result_format["unexpected_index_column_names"] = index
    batch = batch_definition.get_batch(batch_parameters={"dataframe": table.frame})
    outcome = batch.validate(expectation_suite, result_format=result_format)
    if keep is not None:
        keep.append((expectation_suite, outcome))
    by_name = {r.expectation_config.meta["check"]: r for r in outcome.results}
    return [(check, _row(dataset, suite, check, by_name[check.name], index)) for check in checks]


def _row(dataset: str, suite: str, check: Check, result, index: list[str]) -> ExpectationRow:
    details = result.result or {}
    error = _exception(result.exception_info)
    count = int(details.get("unexpected_count") or 0)
    elements = details.get("element_count")
    observed = check.observed
    if observed is None:
        mismatched = (details.get("details") or {}).get("mismatched")
        observed = mismatched or details.get("observed_value")
    if observed is None and elements:
        observed = count / elements
    examples = details.get("partial_unexpected_index_list") or [
        {check.columns[0] if check.columns else "value": v} for v in details.get("partial_unexpected_list") or []
    ]
    return ExpectationRow(
        dataset=dataset,
        suite=suite,
        expectation=check.name,
        gx_type=result.expectation_config.type,
        severity=check.severity,
        success=bool(result.success) and not error,
        observed=_plain(observed),
        unexpected_count=count,
        examples=[_example(e, index) for e in examples[:EXAMPLES]],
        note=error or check.note,
    )


def _skipped(dataset: str, suite: str, check: Check, note: str) -> ExpectationRow:
    return ExpectationRow(
        dataset=dataset,
        suite=suite,
        expectation=check.name,
        gx_type=_snake(check.expectation),
        severity=check.severity,
        success=None,
        observed=_plain(check.observed),
        note=note,
    )


def _batch_definition_whole_frame():
    """The process-wide GX batch definition over an in-memory dataframe (built on first use)."""
    global _batch_definition
    if _batch_definition is None:
        asset = quiet_context().data_sources.add_pandas("judgeops").add_dataframe_asset("records")
        _batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    return _batch_definition


def quiet_context():
    """A new ephemeral GX context: no analytics, no progress bars, no INFO chatter (e.g. in the CLI)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger(ProgressBarsConfig.__module__).setLevel(logging.WARNING)  # GX sets this one to INFO

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _example(example: dict, index: list[str]) -> dict:
    """The row's identity first and in full (GX puts the checked column first), then its values,
    long ones cut."""
    named = {k: _plain(example[k], cut=False) for k in index if k in example}
    return named | {k: _plain(v) for k, v in example.items() if k not in named}


def _exception(info) -> str:
    """GX nests exception info per metric; the first raised message, or ""."""
    if not isinstance(info, dict):
        return ""
    if info.get("raised_exception"):
        return f"expectation raised: {info.get('exception_message')}"
    return next((_exception(v) for v in info.values() if isinstance(v, dict) and _exception(v)), "")


def _plain(value: Any, cut: bool = True) -> Any:
    """JSON-safe: numpy scalars to Python, NaN to None, tuples to lists, long strings cut."""
    if isinstance(value, dict):
        return {str(k): _plain(v, cut) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, cut) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if cut and isinstance(value, str) and len(value) > MAX_EXAMPLE_CHARS:
        return value[: MAX_EXAMPLE_CHARS - 1] + "…"
    return value


def _snake(name: str) -> str:
    """ExpectColumnValuesToBeBetween -> expect_column_values_to_be_between (GX's own type name)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
