"""How well a judge's verdicts match gold labels: the figures the report states, computed from
judgments and pairs alone (no files, no plots), so any stage or tool can score a judge the same way.

Gold is the teacher's verdict on the generated test split, or the human majority on an imported
human-labelled set (PandaLM's test set through ``judgeops import pandalm``).
"""

from __future__ import annotations

from collections import defaultdict

from components.judges.calibration import swap_average
from components.metrics import (  # _kappa: kappa with NaN, not a warning, on a one-label resample
    _kappa,
    consistency_metrics,
    pairwise_cis,
    pairwise_metrics,
    pointwise_correlations,
    with_ci,
)
from components.schemas import Judgment, Pair, mirror


def evaluate(test: list[Pair], judgments: list[Judgment], resamples: int, seed: int, calibration: str = "none") -> dict:
    """Agreement of one judge with the gold labels on the original order (JudgeLM's protocol), right in both
    orders (``cis["both_orders"]``, overall and per category: an imported set's subset), and its
    raw position consistency over both orders of every pair (the audit's position probe reports
    the same rate, with a CI, on its ``max_items`` pairs). With ``calibration`` "swap_average" the
    verdicts from both orders' averaged scores are scored too, under ``calibrated``, beside the raw ones.
    Pairs without a gold verdict (MT-Bench human votes with no majority) are left out and counted
    (``unlabelled``)."""
    unlabelled = sum(p.verdict is None for p in test)
    test = [p for p in test if p.verdict is not None]  # MT-Bench votes without a majority: no gold to agree with
    by_id = {j.pair_id: j for j in judgments if j.order == "original"}
    swapped = {j.pair_id: j for j in judgments if j.order == "swapped"}
    missing = [p.id for p in test if p.id not in by_id or p.id not in swapped]
    if missing:
        raise ValueError(f"{len(missing)} test pairs lack a judgment in one order or both, e.g. {missing[:5]}")
    gold = [p.verdict for p in test]
    originals = [by_id[p.id] for p in test]
    pred = [j.verdict for j in originals]
    both = [
        pred_v == p.verdict and swapped[p.id].verdict == mirror(p.verdict) for p, pred_v in zip(test, pred, strict=True)
    ]
    per_category, per_category_both = defaultdict(list), defaultdict(list)
    for pair, verdict, right in zip(test, pred, both, strict=True):
        per_category[pair.category].append(verdict == pair.verdict)
        per_category_both[pair.category].append(right)
    groups = [p.question_id for p in test]
    calibrated = None
    if calibration == "swap_average":
        verdicts = [swap_average(by_id[p.id], swapped[p.id]) for p in test]
        calibrated = {
            "metrics": pairwise_metrics(gold, verdicts),
            "cis": pairwise_cis(gold, verdicts, groups=groups, n_resamples=resamples, seed=seed),
        }
    return {
        "metrics": pairwise_metrics(gold, pred),
        "consistency": consistency_metrics(pred, [swapped[p.id].verdict for p in test]),
        "cis": {
            **pairwise_cis(gold, pred, groups=groups, n_resamples=resamples, seed=seed),
            "cohen_kappa": kappa_ci(gold, pred, groups, resamples, seed),
            "both_orders": with_ci(
                both, lambda rights: sum(rights) / len(rights), groups, n_resamples=resamples, seed=seed
            ),
        },
        "per_category": {c: (sum(v) / len(v), len(v)) for c, v in sorted(per_category.items())},
        "per_category_both": {c: (sum(v) / len(v), len(v)) for c, v in sorted(per_category_both.items())},
        "unlabelled": unlabelled,
        "judgments": originals,
        "calibration": agreement_by_margin(test, originals),
        "calibrated": calibrated,
        "correlations": score_correlations(test, originals),
    }


def kappa_ci(gold: list[int], pred: list[int | None], groups: list, resamples: int, seed: int) -> dict:
    """Cohen's kappa with its bootstrap interval over questions; a parse failure is its own (always wrong)
    label, as in ``pairwise_metrics``."""
    items = [(g, -1 if p is None else p) for g, p in zip(gold, pred, strict=True)]

    def statistic(sample: list[tuple]) -> float:
        return _kappa([g for g, _ in sample], [p for _, p in sample])

    return with_ci(items, statistic, groups, n_resamples=resamples, seed=seed)


def agreement_gain(test: list[Pair], tuned: dict, base: dict, resamples: int, seed: int) -> dict:
    """Fine-tuned minus base agreement with a paired cluster-bootstrap CI: each resample draws
    questions once and scores both judges on them, so the interval is the gain's own, not a
    difference of two independent intervals. A failed judgment counts as wrong for its judge."""
    rows = [
        (pair.verdict, t.verdict, b.verdict)
        for pair, t, b in zip(test, tuned["judgments"], base["judgments"], strict=True)
    ]

    def gain(sample: list[tuple]) -> float:
        return sum((t == gold) - (b == gold) for gold, t, b in sample) / len(sample)

    return with_ci(rows, gain, [p.question_id for p in test], n_resamples=resamples, seed=seed)


def score_correlations(test: list[Pair], judgments: list[Judgment]) -> dict | None:
    """The judge's 1-10 scores against the teacher's, per answer, at CritiqueLLM's three levels
    (sample, text = per question, system = per answer source). Failed judgments have no scores, and
    neither do gold pairs labelled by a verdict alone (PandaLM's human majority): both are left out."""
    records = []
    for pair, j in zip(test, judgments, strict=True):
        if j.failed or None in (j.score1, j.score2, pair.score1, pair.score2):
            continue
        records += [
            (pair.question_id, pair.source1, j.score1, pair.score1),
            (pair.question_id, pair.source2, j.score2, pair.score2),
        ]
    return pointwise_correlations(records) if records else None


def agreement_by_margin(test: list[Pair], judgments: list[Judgment]) -> list[dict]:
    """Agreement per score margin |s1 - s2| (capped at 5): does a confident judge agree more?"""
    buckets = defaultdict(list)
    for pair, j in zip(test, judgments, strict=True):
        if j.score1 is not None and j.score2 is not None:
            buckets[min(int(abs(j.score1 - j.score2)), 5)].append(j.verdict == pair.verdict)
    return [{"margin": m, "agreement": sum(v) / len(v), "n": len(v)} for m, v in sorted(buckets.items())]


CORRELATIONS = ("pearson", "spearman", "kendall")
HEADLINE = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "cohen_kappa", "parse_failure_rate")


def headline_metrics(evaluations: dict[str, dict], human: dict[str, dict[str, dict]], gain: dict) -> dict:
    """The report's figures as flat ``judge.metric`` keys (headline.json, the stage's MLflow metrics):
    per judge on the test split (with the 95% CIs of agreement, macro F1 and kappa, and the correlations
    of its scores with the teacher's as ``judge.pearson.sample`` ... ``judge.kendall.system``), per
    human-labelled set and judge, and the fine-tuned judge's agreement gain over the base."""
    metrics: dict = {}
    for name, ev in evaluations.items():
        m = ev["metrics"]
        for key in HEADLINE:
            metrics[f"{name}.{key}"] = m[key]
        for key, interval in ev["cis"].items():  # accuracy, f1_macro, cohen_kappa
            metrics[f"{name}.{key}_low"], metrics[f"{name}.{key}_high"] = interval["low"], interval["high"]
        for level, found in (ev["correlations"] or {}).items():  # judge vs teacher scores
            for method in CORRELATIONS:
                metrics[f"{name}.{method}.{level}"] = found[method]
        metrics[f"{name}.consistency"] = ev["consistency"]["consistency"]
        if ev["calibrated"] is not None:
            metrics[f"{name}.calibrated_accuracy"] = ev["calibrated"]["metrics"]["accuracy"]
            metrics[f"{name}.calibrated_cohen_kappa"] = ev["calibrated"]["metrics"]["cohen_kappa"]
    for set_name, by_judge in human.items():
        for name, ev in by_judge.items():
            metrics[f"human.{set_name}.{name}.accuracy"] = ev["metrics"]["accuracy"]
            metrics[f"human.{set_name}.{name}.consistency"] = ev["consistency"]["consistency"]
    metrics["agreement_gain"] = gain["value"]
    metrics["agreement_gain_low"], metrics["agreement_gain_high"] = gain["low"], gain["high"]
    return metrics


def judgment_rows(test: list[Pair], judgments: dict[str, list[Judgment]]) -> list[dict]:
    """One row per test pair: the pair, the gold verdict, and for each judge its verdict and scores in the
    original order, its verdict with the answers swapped (mirrored back, so a consistent judge repeats
    itself), whether it agrees with gold and with itself, and why a judgment failed; ``judges_disagree``
    when the judges' verdicts differ. The MLflow table the report logs, to find disagreements in the UI."""
    orders = {
        name: {(j.pair_id, j.order): j for j in found if j.order in ("original", "swapped")}
        for name, found in judgments.items()
    }
    rows = []
    for pair in test:
        row = {
            "pair_id": pair.id,
            "category": pair.category,
            "family": pair.family,
            "instruction": pair.instruction,
            "reference": pair.reference,
            "answer1": pair.answer1,
            "answer2": pair.answer2,
            "source1": pair.source1,
            "source2": pair.source2,
            "gold": pair.verdict,
        }
        verdicts = []
        for name, by_order in orders.items():
            original, swapped = by_order[(pair.id, "original")], by_order[(pair.id, "swapped")]
            mirrored = mirror(swapped.verdict)
            verdicts.append(original.verdict)
            row |= {
                f"{name}_verdict": original.verdict,
                f"{name}_score1": original.score1,
                f"{name}_score2": original.score2,
                f"{name}_swapped_verdict": mirrored,
                f"{name}_agrees": original.verdict is not None and original.verdict == pair.verdict,
                f"{name}_consistent": original.verdict is not None and original.verdict == mirrored,
                f"{name}_failure": original.failure or swapped.failure,
            }
        row["judges_disagree"] = len(set(verdicts)) > 1
        rows.append(row)
    return rows
