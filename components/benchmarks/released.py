"""Benchmarks' own figures, reproduced from their released judgments, beside ours on the same judgments.

``judgeops score GOLD PRED`` comes here when PRED is a benchmark's released judge output (``released_kind``):
LLMBar's evaluator ``result.json`` (components/benchmarks/llmbar.py) or JudgeBench's judge-output JSONL
(components/benchmarks/judgebench.py). Each reports the benchmark's rule under ``published`` and our tie-aware
rule (parse failures kept apart and counted wrong, ties a verdict of their own) under ``ours``.
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from rich.table import Table

from components.io import iter_json_lines


def released_kind(path: Path | str) -> str | None:
    """ "llmbar" or "judgebench" when the file's first record is that benchmark's released judge output."""
    for _, record in iter_json_lines(path):
        if not isinstance(record, dict):
            return None
        if isinstance(record.get("results"), list) and "output_1" in record:
            return "llmbar"
        if "judgments" in record and "pair_id" in record:
            return "judgebench"
        return None
    return None


def score_released(kind: str, gold_path: Path | str, pred_path: Path | str, n_resamples: int = 1000) -> dict:
    if kind == "llmbar":
        from components.benchmarks.llmbar import score_llmbar

        return score_llmbar(gold_path, pred_path, n_resamples)
    from components.benchmarks.judgebench import score_judgebench

    return score_judgebench(gold_path, pred_path, n_resamples)


def render_released(metrics: dict) -> str:
    """The benchmark's figures, ours beside them, per group where the benchmark reports groups."""
    console = Console(file=io.StringIO(), width=110, color_system=None)
    table = Table(title=f"{metrics['benchmark']}: its published rule, from its released judgments")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics["published"].items():
        table.add_row(name, _shown(value))
    console.print(table)
    ours = Table(title="our rule on the same judgments (failures kept apart, counted wrong; ties are verdicts)")
    ours.add_column("metric")
    ours.add_column("value", justify="right")
    ours.add_column("95% CI", justify="right")
    for name, value in metrics["ours"].items():
        interval = metrics.get("ci", {}).get(name)
        ours.add_row(name, _shown(value), f"{interval['low']:.4f} - {interval['high']:.4f}" if interval else "")
    console.print(ours)
    groups = metrics.get("groups")
    if groups:
        columns = list(next(iter(groups.values())))
        per = Table(title="per group")
        per.add_column("group")
        for column in columns:
            per.add_column(column, justify="right")
        for group, values in groups.items():
            per.add_row(group, *(_shown(values[column]) for column in columns))
        console.print(per)
    for note in metrics.get("notes", []):
        console.print(note)
    return console.file.getvalue()


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
