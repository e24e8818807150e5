"""Human-readable renderings of a gate: a markdown report and the short message a failed stage shows.

Both name the expectation, the dataset and a few offending rows with where they came from
(``file:line`` or ``row N``), because that is what someone fixing the data needs first.
"""

from __future__ import annotations

from typing import Any

from components.validation.results import ExpectationRow, GateResult, SuiteResult

MAX_VALUE_CHARS = 60


def failure_message(result: GateResult | SuiteResult) -> str:
    """What a failed stage shows: each critical failure with a few offending rows (one dataset's result
    reads as the gate of that dataset)."""
    gate = _as_gate(result)
    critical = gate.failures("critical")
    warnings = gate.failures("warning")
    if not critical:
        return f"validation passed ({len(warnings)} warning(s))"
    datasets = len({row.dataset for row in critical})
    lines = [f"validation failed: {len(critical)} critical expectation(s) in {datasets} dataset(s)"]
    for row in critical:
        lines.append(
            f"- dataset '{row.dataset}' (suite {row.suite}): expectation '{row.expectation}'"
            f" ({row.gx_type}) failed: {_outcome(row)}"
        )
        lines.extend(f"    {format_example(example)}" for example in row.examples)
    if warnings:
        lines.append(f"(and {len(warnings)} warning(s): see the validation report)")
    return "\n".join(lines)


def markdown(result: GateResult | SuiteResult) -> str:
    gate = _as_gate(result)
    verdict = "PASSED" if gate.passed else "FAILED"
    critical, warnings = gate.failures("critical"), gate.failures("warning")
    skipped = [row for row in gate.rows if row.success is None]
    lines = [
        f"# Validation gate: {verdict}",
        "",
        f"{len(critical)} critical failure(s), {len(warnings)} warning(s), {len(skipped)} skipped,"
        f" {len(gate.rows)} expectations over {len(gate.results)} dataset(s).",
        "",
        "| dataset | suite | records | result | critical | warnings |",
        "|---|---|---:|---|---:|---:|",
    ]
    for r in gate.results:
        lines.append(
            f"| {r.dataset} | {r.suite} | {r.records} | {'pass' if r.passed else 'FAIL'}"
            f" | {len(r.failures('critical'))} | {len(r.failures('warning'))} |"
        )
    for title, rows in (("Critical failures", critical), ("Warnings", warnings)):
        if rows:
            lines += ["", f"## {title}", "", "| dataset | expectation | observed | unexpected | examples |"]
            lines.append("|---|---|---|---:|---|")
            lines += [_failure_line(row) for row in rows]
    if skipped:
        lines += ["", "## Not run", ""]
        lines += [f"- {row.dataset}: `{row.expectation}`: {row.note}" for row in skipped]
    return "\n".join(lines) + "\n"


def _as_gate(result: GateResult | SuiteResult) -> GateResult:
    return GateResult([result]) if isinstance(result, SuiteResult) else result


def _failure_line(row: ExpectationRow) -> str:
    examples = "; ".join(format_example(e) for e in row.examples)
    return (
        f"| {row.dataset} | `{row.expectation}` | {_cell(_observed(row))} | {row.unexpected_count}"
        f" | {_cell(examples)} |"
    )


def format_example(example: dict) -> str:
    """``pairs.jsonl:4 id='p3' verdict=3``: where first, then the row's fields. A line that did not
    parse reads like the RecordError it came from: ``pairs.jsonl:6: field 'verdict': ...``."""
    where = example.get("_where")
    if where is not None and example.get("error"):
        return f"{where}: {example['error']}"
    fields = " ".join(f"{k}={_fmt(v)}" for k, v in example.items() if k != "_where")
    return f"{where} {fields}".strip() if where is not None else fields


def _outcome(row: ExpectationRow) -> str:
    parts = []
    if row.unexpected_count:
        parts.append(f"{row.unexpected_count} unexpected")
    if row.observed is not None:
        parts.append(f"observed {_observed(row)}")
    if row.note:
        parts.append(row.note)
    return ", ".join(parts) or "see the validation report"


def _observed(row: ExpectationRow) -> str:
    return "" if row.observed is None else _fmt(row.observed)


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
