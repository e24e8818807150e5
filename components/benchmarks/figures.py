"""One judge on one labelled set (a benchmark's pairs, imported): the figures every set gets under the same
names, so that MLflow's compare view lines judges and sets up side by side.

Agreement, Cohen's kappa and macro F1 on the original order (JudgeLM's protocol; a parse failure is a wrong
verdict), right in both orders (LLMBar's "both"), positional agreement (the verdict mirrors when the answers
swap) and the parse-failure rate -- each rate with a 95% bootstrap CI over questions -- overall and per
subset (a pair's ``category``: LLMBar subset, JudgeBench source, EvalBiasBench bias type, Auto-J scenario)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from components.schemas import Judgment, Pair, mirror


def set_figures(
    pairs: Sequence[Pair], judgments: Sequence[Judgment], resamples: int, seed: int, evaluation: dict | None = None
) -> dict:
    """Flat figures: ``agreement``, ``agreement_low``, ``agreement_high``, ... ``cohen_kappa``, ``f1_macro``,
    ``pairs``, ``unlabelled`` (pairs with no gold verdict, left out), and ``subset.NAME.agreement``,
    ``subset.NAME.both_orders``, ``subset.NAME.pairs`` for each subset. Agreement, kappa, macro F1 and
    both-orders are the report's own (``evaluation.evaluate``); positional agreement and parse failures are
    added here, with CIs the same way. ``evaluation``: ``evaluate``'s result for these pairs and judgments with
    the same resamples and seed, where the caller has it (the report stage), instead of computing it again."""
    from components.evaluation import evaluate
    from components.metrics import with_ci

    labelled = [p for p in pairs if p.verdict is not None]
    figures: dict = {"pairs": len(labelled), "unlabelled": len(pairs) - len(labelled)}
    if not labelled:
        return figures
    if evaluation is None:
        evaluation = evaluate(list(pairs), list(judgments), resamples, seed)  # raises when an order is missing
    swapped = {j.pair_id: j for j in judgments if j.order == "swapped"}
    rows = [_row(original, swapped[original.pair_id]) for original in evaluation["judgments"]]
    groups = [p.question_id for p in labelled]
    cis = evaluation["cis"]
    intervals = {
        "agreement": cis["accuracy"],
        "f1_macro": cis["f1_macro"],
        "cohen_kappa": cis["cohen_kappa"],
        "both_orders": cis["both_orders"],
        **{
            rate: with_ci(
                rows, lambda sample, r=rate: _mean(row[r] for row in sample), groups, n_resamples=resamples, seed=seed
            )
            for rate in ("positional_agreement", "parse_failure_rate")
        },
    }
    for name, interval in intervals.items():
        figures[name], figures[f"{name}_low"], figures[f"{name}_high"] = (
            interval["value"],
            interval["low"],
            interval["high"],
        )
    for category, (agreement, n) in evaluation["per_category"].items():
        subset = f"subset.{_metric_safe(category)}"
        figures[f"{subset}.pairs"] = n
        figures[f"{subset}.agreement"] = agreement
        figures[f"{subset}.both_orders"] = evaluation["per_category_both"][category][0]
    return figures


def _metric_safe(category: str | None) -> str:
    """A subset's name as an MLflow metric name may hold it (letters, digits, _ - . / and spaces): a set's own
    category names (an Auto-J scenario, a JudgeBench source) may hold anything."""
    return re.sub(r"[^\w./ -]", "_", category) if category else "none"


def _row(original: Judgment, swapped: Judgment) -> dict:
    """One pair's facts as 0/1: the verdict mirrored on the swap (two failures do not mirror), and a parse
    failure in either order."""
    mirrored = original.verdict is not None and swapped.verdict == mirror(original.verdict)
    return {"positional_agreement": float(mirrored), "parse_failure_rate": float(original.failed or swapped.failed)}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else math.nan


def render(figures: dict, judge: str, data: str) -> str:
    """A Markdown table of the overall figures and one of the subsets."""
    lines = [
        f"**{judge}** on {data}: {figures['pairs']} labelled pairs ({figures['unlabelled']} without gold left out)",
        "",
    ]
    lines += ["| figure | value | 95% CI |", "|---|---|---|"]
    for name in ("agreement", "cohen_kappa", "f1_macro", "both_orders", "positional_agreement", "parse_failure_rate"):
        if name in figures:
            lines.append(
                f"| {name} | {figures[name]:.3f} | [{figures[name + '_low']:.3f}, {figures[name + '_high']:.3f}] |"
            )
    subsets = sorted({key.split(".")[1] for key in figures if key.startswith("subset.")})
    if len(subsets) > 1:
        lines += ["", "| subset | pairs | agreement | right in both orders |", "|---|---|---|---|"]
        for subset in subsets:
            at = f"subset.{subset}"
            lines.append(
                f"| {subset} | {figures[at + '.pairs']} | {figures[at + '.agreement']:.3f} | "
                f"{figures[at + '.both_orders']:.3f} |"
            )
    return "\n".join(lines) + "\n"
