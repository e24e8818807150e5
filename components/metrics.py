"""How good a judge is: agreement, P/R/F1, kappa, position consistency, correlations, bootstrap CIs.

Pure functions over plain sequences, no I/O, so every stage and the ``score`` command report the
same numbers. Verdicts use PandaLM's encoding (0 = tie, 1 = first, 2 = second, None = the judge's
output could not be parsed). A parse failure is a wrong answer, never a tie, unless a caller asks for
``failures="tie"`` to reproduce PandaLM's and JudgeLM's published figures, which hid failures as ties.
The statistics come from scikit-learn, SciPy and statsmodels rather than being rewritten here.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from itertools import combinations
from typing import Literal, TypeVar

import numpy as np
from scipy import stats
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from components.schemas import FIRST, SECOND, TIE, VERDICT_NAMES, VERDICTS, mirror

Failures = Literal["separate", "tie"]
FAILED = -1
"""Label for a parse failure: outside ``VERDICTS``, so sklearn counts it against recall and accuracy
without crediting any class."""

T = TypeVar("T")
_CORRELATIONS = ("pearson", "spearman", "kendall")


def pairwise_metrics(gold: Sequence[int], pred: Sequence[int | None], failures: Failures = "separate") -> dict:
    """Agreement of predicted verdicts with gold verdicts, item by item.

    ``failures="separate"`` keeps parse failures as their own (always wrong) outcome and reports
    them in ``confusion_failures``; ``"tie"`` maps them to a tie the way PandaLM and JudgeLM did.
    """
    y_true, y_pred = _encode(gold, pred, failures)
    labels = list(VERDICTS)
    per_class = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
    macro = precision_recall_fscore_support(y_true, y_pred, labels=labels, average="macro", zero_division=0)
    n_failed = sum(value is None for value in pred)
    result = {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision_macro": float(macro[0]),
        "recall_macro": float(macro[1]),
        "f1_macro": float(macro[2]),
        "cohen_kappa": _kappa(y_true, y_pred),
        "parse_failures": n_failed,
        "parse_failure_rate": n_failed / len(y_true),
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "confusion_failures": [int(np.sum((y_true == label) & (y_pred == FAILED))) for label in labels],
        **_mtbench_agreement(y_true, y_pred),
    }
    for name, values in zip(("precision", "recall", "f1"), per_class[:3], strict=True):
        for label, value in zip(labels, values, strict=True):
            result[f"{name}_{VERDICT_NAMES[label]}"] = float(value)
    return result


def pairwise_cis(
    gold: Sequence[int],
    pred: Sequence[int | None],
    failures: Failures = "separate",
    groups: Sequence[Hashable] | None = None,
    **bootstrap_options,
) -> dict[str, dict]:
    """Accuracy and macro F1 with bootstrap intervals ({"value", "low", "high"} each); pass question
    ids as ``groups`` so that answers to one question are resampled together."""
    y_true, y_pred = _encode(gold, pred, failures)
    items = list(zip(y_true.tolist(), y_pred.tolist(), strict=True))
    return {
        name: with_ci(items, lambda pairs, score=score: score(*zip(*pairs, strict=True)), groups, **bootstrap_options)
        for name, score in (("accuracy", accuracy_score), ("f1_macro", _f1_macro))
    }


def consistency_metrics(original: Sequence[int | None], swapped: Sequence[int | None]) -> dict:
    """Position consistency of a judge that saw each pair in both orders (JudgeLM's definition).

    ``swapped[i]`` is the verdict on pair i with the answers swapped, in that order's coordinates, so a
    consistent judge gives ``mirror(original[i])``. Every rate is over all items: a failure in either
    order makes an item inconsistent without pointing towards either position.
    """
    _same_length(original, swapped)
    if not original:
        raise ValueError("consistency_metrics needs at least one item")
    consistent = prefer_first = prefer_second = failed = 0
    for first_order, second_order in zip(original, swapped, strict=True):
        if first_order is None or second_order is None:
            failed += 1
        elif second_order == mirror(first_order):
            consistent += 1
        else:
            toward_first = (first_order == FIRST) + (second_order == FIRST)
            toward_second = (first_order == SECOND) + (second_order == SECOND)
            prefer_first += toward_first > toward_second
            prefer_second += toward_second > toward_first
    n = len(original)
    return {
        "n": n,
        "consistency": consistent / n,
        "prefer_first": prefer_first / n,
        "prefer_second": prefer_second / n,
        "delta_bias": abs(prefer_first - prefer_second) / n,
        "failures": failed,
    }


def correlations(x: Sequence[float], y: Sequence[float]) -> dict:
    """Pearson, Spearman and Kendall with p-values. Constant input (or fewer than two points) has no
    defined correlation: the values are NaN and ``constant`` is True instead of SciPy warning or raising."""
    _same_length(x, y)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        nan = {key: math.nan for name in _CORRELATIONS for key in (name, f"{name}_p")}
        return {"n": len(x), **nan, "constant": True}
    result: dict = {"n": len(x), "constant": False}
    for name, test in zip(_CORRELATIONS, (stats.pearsonr, stats.spearmanr, stats.kendalltau), strict=True):
        outcome = test(x, y)
        result[name], result[f"{name}_p"] = float(outcome.statistic), float(outcome.pvalue)
    return result


def pointwise_correlations(records: Sequence[tuple[str, str, float, float]]) -> dict:
    """Judge-vs-gold score correlations at CritiqueLLM's three levels.

    ``records`` are (question_id, source, judge_score, gold_score). Text level correlates the answers
    to each question and averages over questions; questions with constant scores have no correlation
    and are skipped as CritiqueLLM's script does, but counted in ``n_skipped_constant`` because skipping
    them inflates the mean. System level correlates per-source mean scores across sources.
    """
    if not records:
        raise ValueError("pointwise_correlations needs at least one record")
    judge = [record[2] for record in records]
    gold = [record[3] for record in records]
    return {
        "sample": correlations(judge, gold),
        "text": _text_level(records),
        "system": _system_level(records),
    }


def annotator_agreement(labels: Sequence[Sequence[int]]) -> dict:
    """Pairwise Cohen's kappa for every annotator pair and Fleiss' kappa over all of them.

    ``labels`` holds one row per item with one label per annotator (the shape of ``Pair.annotators``);
    annotators are numbered from 1 in the keys (``kappa_a1_a2``).
    """
    table = np.asarray(labels)
    if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] < 2:
        raise ValueError("annotator_agreement needs one row per item with at least two labels each")
    result: dict = {"n_items": int(table.shape[0]), "n_annotators": int(table.shape[1])}
    for a, b in combinations(range(table.shape[1]), 2):
        result[f"kappa_a{a + 1}_a{b + 1}"] = _kappa(table[:, a], table[:, b])
    counts, _ = aggregate_raters(table)
    result["fleiss_kappa"] = float(fleiss_kappa(counts, method="fleiss"))
    return result


def bootstrap_ci(
    items: Sequence[T],
    statistic: Callable[[list[T]], float],
    groups: Sequence[Hashable] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``items``, seeded and deterministic.

    With ``groups`` (e.g. question ids) whole groups are resampled (a cluster bootstrap): answers to
    the same question are not independent, and resampling them one by one gives too narrow an interval.
    Fewer than two groups leave nothing to resample: the interval is (NaN, NaN).
    """
    members = _group_members(len(items), groups)
    if len(members) < 2:
        return math.nan, math.nan

    def resampled(group_indices: np.ndarray) -> float:
        return statistic([items[i] for g in group_indices for i in members[int(g)]])

    outcome = stats.bootstrap(
        (np.arange(len(members)),),
        resampled,
        n_resamples=n_resamples,
        vectorized=False,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(outcome.confidence_interval.low), float(outcome.confidence_interval.high)


def with_ci(
    items: Sequence[T],
    statistic: Callable[[list[T]], float],
    groups: Sequence[Hashable] | None = None,
    **bootstrap_options,
) -> dict:
    """``statistic`` on all items with its bootstrap interval: {"value", "low", "high"}."""
    low, high = bootstrap_ci(items, statistic, groups, **bootstrap_options)
    return {"value": float(statistic(list(items))), "low": low, "high": high}


def _encode(gold: Sequence[int], pred: Sequence[int | None], failures: Failures) -> tuple[np.ndarray, ...]:
    _same_length(gold, pred)
    if not gold:
        raise ValueError("pairwise_metrics needs at least one item")
    if failures not in ("separate", "tie"):
        raise ValueError(f"failures must be 'separate' or 'tie', got {failures!r}")
    bad_gold = sorted({value for value in gold if value not in VERDICTS}, key=str)
    bad_pred = sorted({value for value in pred if value is not None and value not in VERDICTS}, key=str)
    if bad_gold or bad_pred:
        raise ValueError(f"verdicts must be in {VERDICTS} (pred may be None); gold {bad_gold}, pred {bad_pred}")
    failed_as = TIE if failures == "tie" else FAILED
    y_pred = [failed_as if value is None else value for value in pred]
    return np.asarray(gold, dtype=int), np.asarray(y_pred, dtype=int)


def _mtbench_agreement(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """MT-Bench reports agreement with ties and without: the latter keeps only items where both sides
    named a winner. A parse failure names no tie, so under "separate" it stays in and counts as wrong."""
    decisive = (y_true != TIE) & (y_pred != TIE)
    n_decisive = int(decisive.sum())
    without = float(accuracy_score(y_true[decisive], y_pred[decisive])) if n_decisive else math.nan
    return {
        "agreement_with_ties": float(accuracy_score(y_true, y_pred)),
        "agreement_without_ties": without,
        "n_without_ties": n_decisive,
    }


def _f1_macro(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    return float(f1_score(y_true, y_pred, labels=list(VERDICTS), average="macro", zero_division=0))


def _kappa(a: Sequence[int], b: Sequence[int]) -> float:
    """Cohen's kappa; NaN, without sklearn's warnings, when both raters used one label only and the
    chance agreement is 1 (a degenerate subset, e.g. a bootstrap resample, is not an error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(cohen_kappa_score(a, b, replace_undefined_by=math.nan))


def _text_level(records: Sequence[tuple[str, str, float, float]]) -> dict:
    by_question: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for question_id, _, judge, gold in records:
        by_question[question_id].append((judge, gold))
    per_question = [correlations(*zip(*scores, strict=True)) for scores in by_question.values()]
    used = [result for result in per_question if not result["constant"]]
    means = {name: float(np.mean([r[name] for r in used])) if used else math.nan for name in _CORRELATIONS}
    return {
        **means,
        "n_questions": len(per_question),
        "n_used": len(used),
        "n_skipped_constant": len(per_question) - len(used),
    }


def _system_level(records: Sequence[tuple[str, str, float, float]]) -> dict:
    by_source: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _, source, judge, gold in records:
        by_source[source].append((judge, gold))
    means = [np.mean(scores, axis=0) for scores in by_source.values()]
    result = correlations([m[0] for m in means], [m[1] for m in means])
    return {**result, "n_sources": len(means)}


def _group_members(n_items: int, groups: Sequence[Hashable] | None) -> list[list[int]]:
    """Item indices per group, in first-seen order; each item is its own group when none are given."""
    if groups is None:
        return [[i] for i in range(n_items)]
    if len(groups) != n_items:
        raise ValueError(f"groups has {len(groups)} entries for {n_items} items")
    members: dict[Hashable, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    return list(members.values())


def _same_length(a: Sequence, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"sequences differ in length: {len(a)} vs {len(b)}")
