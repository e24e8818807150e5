"""One judge on one labelled set (a benchmark's pairs, imported): the figures every set gets under the same
names, so that MLflow's compare view lines judges and sets up side by side.

Agreement, Cohen's kappa and macro F1 on the original order (JudgeLM's protocol; a parse failure is a wrong
verdict), right in both orders (LLMBar's "both"), positional agreement (the verdict mirrors when the answers
swap) and the parse-failure rate -- each rate with a 95% bootstrap CI over questions -- overall and per
subset (a pair's ``category``: LLMBar subset, JudgeBench source, EvalBiasBench bias type, Auto-J scenario)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from components.schemas import Judgment, Pair, mirror

RATES = ("agreement", "both_orders", "positional_agreement", "parse_failure_rate")


def set_figures(pairs: Sequence[Pair], judgments: Sequence[Judgment], resamples: int, seed: int) -> dict:
    """Flat figures: ``agreement``, ``agreement_low``, ``agreement_high``, ... ``cohen_kappa``, ``f1_macro``,
    ``pairs``, ``unlabelled`` (pairs with no gold verdict, left out), and ``subset.NAME.agreement``,
    ``subset.NAME.both_orders``, ``subset.NAME.pairs`` for each subset."""
    from components.evaluation import kappa_ci
    from components.metrics import pairwise_cis, with_ci

    labelled = [p for p in pairs if p.verdict is not None]
    first = {j.pair_id: j for j in judgments if j.order == "original"}
    second = {j.pair_id: j for j in judgments if j.order == "swapped"}
    missing = [p.id for p in labelled if p.id not in first or p.id not in second]
    if missing:
        raise ValueError(f"{len(missing)} pairs lack a judgment in one order or both, e.g. {missing[:5]}")
    figures: dict = {"pairs": len(labelled), "unlabelled": len(pairs) - len(labelled)}
    if not labelled:
        return figures
    gold = [p.verdict for p in labelled]
    pred = [first[p.id].verdict for p in labelled]
    groups = [p.question_id for p in labelled]
    rows = [_row(p, first[p.id], second[p.id]) for p in labelled]
    cis = pairwise_cis(gold, pred, groups=groups, n_resamples=resamples, seed=seed)
    intervals = {
        "agreement": cis["accuracy"],
        "f1_macro": cis["f1_macro"],
        "cohen_kappa": kappa_ci(gold, pred, groups, resamples, seed),
        **{
            rate: with_ci(
                rows, lambda sample, r=rate: _mean(row[r] for row in sample), groups, n_resamples=resamples, seed=seed
            )
            for rate in RATES
            if rate != "agreement"
        },
    }
    for name, interval in intervals.items():
        figures[name], figures[f"{name}_low"], figures[f"{name}_high"] = (
            interval["value"],
            interval["low"],
            interval["high"],
        )
    by_subset = defaultdict(list)
    for pair, row in zip(labelled, rows, strict=True):
        by_subset[pair.category or "(none)"].append(row)
    for subset, found in sorted(by_subset.items()):
        figures[f"subset.{subset}.pairs"] = len(found)
        figures[f"subset.{subset}.agreement"] = _mean(row["agreement"] for row in found)
        figures[f"subset.{subset}.both_orders"] = _mean(row["both_orders"] for row in found)
    return figures


def _row(pair: Pair, original: Judgment, swapped: Judgment) -> dict:
    """One pair's facts as 0/1: right in the original order, right in both, the verdict mirrored on the swap
    (two failures do not mirror), and a parse failure in either order."""
    right = original.verdict == pair.verdict
    mirrored = original.verdict is not None and swapped.verdict == mirror(original.verdict)
    return {
        "agreement": float(right),
        "both_orders": float(right and swapped.verdict == mirror(pair.verdict)),
        "positional_agreement": float(mirrored),
        "parse_failure_rate": float(original.failed or swapped.failed),
    }


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
