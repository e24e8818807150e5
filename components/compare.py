"""Metric deltas between two tracked runs: what `judgeops compare` prints."""

from __future__ import annotations

from rich.table import Table

from components.tracking import resolve_metrics


def compare(ref_a: str, ref_b: str) -> tuple[str, str, list[tuple[str, float | None, float | None, float | None]]]:
    """(run id A, run id B, rows of (metric, A, B, B - A)) over the union of both runs' metrics."""
    run_a, metrics_a = resolve_metrics(ref_a)
    run_b, metrics_b = resolve_metrics(ref_b)
    rows = []
    for name in sorted(set(metrics_a) | set(metrics_b)):
        a, b = metrics_a.get(name), metrics_b.get(name)
        rows.append((name, a, b, None if a is None or b is None else b - a))
    return run_a, run_b, rows


def render(run_a: str, run_b: str, rows) -> Table:
    table = Table(title=f"A = {run_a}   B = {run_b}")
    for header in ("metric", "A", "B", "B - A"):
        table.add_column(header, justify="left" if header == "metric" else "right")
    for name, a, b, delta in rows:
        table.add_row(name, _fmt(a), _fmt(b), _fmt(delta, signed=True))
    return table


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"
