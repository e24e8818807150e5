"""Metrics: hand-computed cases, agreement with sklearn / scipy / statsmodels, and the definitions
that published numbers depend on (failures are not ties, JudgeLM's consistency, cluster bootstrap)."""

import math
import random

import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, precision_score, recall_score

from components.metrics import (
    annotator_agreement,
    bootstrap_ci,
    consistency_metrics,
    correlations,
    pairwise_cis,
    pairwise_metrics,
    pointwise_correlations,
    with_ci,
)

GOLD = [0, 1, 2, 1, 2]
PRED = [0, 1, None, 2, 2]


def _mean(values):
    return sum(values) / len(values)


def _random_verdicts(n, seed, failure_rate=0.0):
    rng = random.Random(seed)
    gold = [rng.choice([0, 1, 2]) for _ in range(n)]
    pred = [g if rng.random() < 0.6 else rng.choice([0, 1, 2]) for g in gold]
    return gold, [None if rng.random() < failure_rate else p for p in pred]


def test_hand_computed_separate():
    m = pairwise_metrics(GOLD, PRED)
    assert m["n"] == 5
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert (m["precision_tie"], m["precision_1"], m["precision_2"]) == pytest.approx((1, 1, 0.5))
    assert (m["recall_tie"], m["recall_1"], m["recall_2"]) == pytest.approx((1, 0.5, 0.5))
    assert m["f1_1"] == pytest.approx(2 / 3)
    assert m["precision_macro"] == pytest.approx(2.5 / 3)
    assert m["recall_macro"] == pytest.approx(2 / 3)
    assert m["confusion"] == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert m["confusion_failures"] == [0, 0, 1]
    assert m["parse_failures"] == 1 and m["parse_failure_rate"] == pytest.approx(0.2)


def test_hand_computed_failures_as_tie():
    m = pairwise_metrics(GOLD, PRED, failures="tie")
    assert m["confusion"] == [[1, 0, 0], [0, 1, 1], [1, 0, 1]]
    assert m["confusion_failures"] == [0, 0, 0]
    assert m["precision_tie"] == pytest.approx(0.5)
    assert m["parse_failures"] == 1


def test_failures_are_never_ties_unless_asked():
    gold, pred = [0, 0, 1], [None, None, 1]
    separate = pairwise_metrics(gold, pred)
    as_tie = pairwise_metrics(gold, pred, failures="tie")
    assert separate["accuracy"] == pytest.approx(1 / 3)
    assert separate["recall_tie"] == 0.0 and separate["confusion"][0][0] == 0
    assert as_tie["accuracy"] == 1.0 and as_tie["recall_tie"] == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_sklearn_without_failures(seed):
    gold, pred = _random_verdicts(300, seed)
    m = pairwise_metrics(gold, pred)
    kwargs = dict(labels=[0, 1, 2], average="macro", zero_division=0)
    assert m["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    assert m["precision_macro"] == pytest.approx(precision_score(gold, pred, **kwargs))
    assert m["recall_macro"] == pytest.approx(recall_score(gold, pred, **kwargs))
    assert m["f1_macro"] == pytest.approx(f1_score(gold, pred, **kwargs))
    assert m["cohen_kappa"] == pytest.approx(cohen_kappa_score(gold, pred))


def test_failures_as_tie_matches_sklearn_on_zeroed_predictions():
    gold, pred = _random_verdicts(300, 7, failure_rate=0.1)
    zeroed = [0 if p is None else p for p in pred]
    m = pairwise_metrics(gold, pred, failures="tie")
    assert m["accuracy"] == pytest.approx(accuracy_score(gold, zeroed))
    assert m["f1_macro"] == pytest.approx(f1_score(gold, zeroed, labels=[0, 1, 2], average="macro"))


def test_separate_failures_lower_recall_not_precision():
    gold, pred = _random_verdicts(300, 3, failure_rate=0.1)
    separate = pairwise_metrics(gold, pred)
    answered = [i for i, p in enumerate(pred) if p is not None]
    assert separate["accuracy"] == pytest.approx(sum(gold[i] == pred[i] for i in answered) / len(gold))
    for label, name in ((0, "tie"), (1, "1"), (2, "2")):
        predicted = [i for i in answered if pred[i] == label]
        assert separate[f"precision_{name}"] == pytest.approx(_mean([gold[i] == label for i in predicted]))
        relevant = [i for i, g in enumerate(gold) if g == label]
        assert separate[f"recall_{name}"] == pytest.approx(_mean([pred[i] == label for i in relevant]))


def test_agreement_with_and_without_ties():
    m = pairwise_metrics([0, 1, 2, 1, 2, 1], [1, 1, 2, 0, 1, None])
    assert m["agreement_with_ties"] == pytest.approx(2 / 6)
    # decisive items: gold and prediction both not a tie -> indices 1, 2, 4, 5 (a failure names no tie)
    assert m["n_without_ties"] == 4
    assert m["agreement_without_ties"] == pytest.approx(2 / 4)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="length"):
        pairwise_metrics([0, 1], [0])
    with pytest.raises(ValueError, match="verdicts"):
        pairwise_metrics([0, 3], [0, 1])
    with pytest.raises(ValueError, match="verdicts"):
        pairwise_metrics([0, 1], [0, -1])
    with pytest.raises(ValueError):
        pairwise_metrics([], [])
    with pytest.raises(ValueError, match="failures"):
        pairwise_metrics([0], [0], failures="drop")


def test_consistency_definitions():
    original = [1, 2, 0, 1, 2, 0, 1, None]
    swapped = [2, 1, 0, 1, 2, 1, 0, 2]
    m = consistency_metrics(original, swapped)
    # consistent: (1,2) (2,1) (0,0); toward first: (1,1) (0,1) (1,0); toward second: (2,2)
    assert m["n"] == 8 and m["failures"] == 1
    assert m["consistency"] == pytest.approx(3 / 8)
    assert m["prefer_first"] == pytest.approx(3 / 8)
    assert m["prefer_second"] == pytest.approx(1 / 8)
    assert m["delta_bias"] == pytest.approx(2 / 8)


def test_consistency_failure_never_counts_as_consistent():
    m = consistency_metrics([None, 0, None], [None, None, 0])
    assert m["consistency"] == 0.0 and m["failures"] == 3
    assert m["prefer_first"] == m["prefer_second"] == 0.0


@pytest.mark.parametrize("seed", [0, 1])
def test_correlations_match_scipy(seed):
    rng = random.Random(seed)
    x = [rng.uniform(0, 10) for _ in range(40)]
    y = [v + rng.gauss(0, 3) for v in x]
    m = correlations(x, y)
    assert not m["constant"] and m["n"] == 40
    assert m["pearson"] == pytest.approx(stats.pearsonr(x, y).statistic)
    assert m["spearman_p"] == pytest.approx(stats.spearmanr(x, y).pvalue)
    assert m["kendall"] == pytest.approx(stats.kendalltau(x, y).statistic)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("x, y", [([1, 2, 3], [5, 5, 5]), ([4, 4], [1, 2]), ([1], [1])])
def test_correlations_constant_input_is_flagged_not_raised(x, y):
    m = correlations(x, y)
    assert m["constant"] is True
    assert all(math.isnan(m[key]) for key in ("pearson", "spearman_p", "kendall"))


def test_pointwise_levels():
    records = [
        ("q1", "a", 1, 2), ("q1", "b", 2, 3), ("q1", "c", 3, 5),
        ("q2", "a", 4, 1), ("q2", "b", 4, 2),
        ("q3", "a", 2, 1), ("q3", "c", 1, 3),
    ]  # fmt: skip
    m = pointwise_correlations(records)
    assert m["sample"]["n"] == 7
    text = m["text"]
    assert (text["n_questions"], text["n_used"], text["n_skipped_constant"]) == (3, 2, 1)
    assert text["pearson"] == pytest.approx(_mean([stats.pearsonr([1, 2, 3], [2, 3, 5]).statistic, -1.0]))
    system = m["system"]
    assert system["n_sources"] == 3
    assert system["pearson"] == pytest.approx(stats.pearsonr([7 / 3, 3, 2], [4 / 3, 5 / 2, 4]).statistic)


def test_annotator_agreement_hand_and_sklearn():
    chance = annotator_agreement([[0, 0], [1, 1], [0, 1], [1, 0]])
    assert chance["kappa_a1_a2"] == pytest.approx(0.0)
    assert chance["fleiss_kappa"] == pytest.approx(0.0)
    rng = random.Random(5)
    labels = [rng.choice([0, 1, 2]) for _ in range(200)]
    rows = [[g] + [g if rng.random() < 0.8 else rng.choice([0, 1, 2]) for _ in range(2)] for g in labels]
    m = annotator_agreement(rows)
    assert m["n_annotators"] == 3 and m["n_items"] == 200
    assert m["kappa_a1_a3"] == pytest.approx(cohen_kappa_score([r[0] for r in rows], [r[2] for r in rows]))
    assert annotator_agreement([[2, 2, 2], [1, 1, 1], [0, 0, 0]])["fleiss_kappa"] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        annotator_agreement([[1], [2]])


def test_bootstrap_is_deterministic_and_contains_the_estimate():
    gold, pred = _random_verdicts(200, 11)
    items = list(zip(gold, pred, strict=True))

    def accuracy(pairs):
        return _mean([g == p for g, p in pairs])

    first = bootstrap_ci(items, accuracy, n_resamples=300, seed=4)
    assert bootstrap_ci(items, accuracy, n_resamples=300, seed=4) == first
    assert bootstrap_ci(items, accuracy, n_resamples=300, seed=5) != first
    assert first[0] <= accuracy(items) <= first[1]
    result = with_ci(items, accuracy, n_resamples=300)
    assert set(result) == {"value", "low", "high"} and result["low"] <= result["value"] <= result["high"]


def test_cluster_bootstrap_resamples_whole_groups():
    items = [1] * 30 + [0] * 30
    groups = [i // 10 for i in range(60)]  # six questions, each all right or all wrong
    per_item = bootstrap_ci(items, _mean, n_resamples=400)
    clustered = bootstrap_ci(items, _mean, groups=groups, n_resamples=400)
    assert clustered[1] - clustered[0] > 1.5 * (per_item[1] - per_item[0])
    assert all(math.isnan(v) for v in bootstrap_ci(items, _mean, groups=[0] * 60))
    with pytest.raises(ValueError):
        bootstrap_ci(items, _mean, groups=[0, 1])


def test_pairwise_cis_value_matches_point_metrics():
    gold, pred = _random_verdicts(120, 13, failure_rate=0.05)
    cis = pairwise_cis(gold, pred, groups=[i // 4 for i in range(120)], n_resamples=100)
    point = pairwise_metrics(gold, pred)
    for name in ("accuracy", "f1_macro"):
        assert cis[name]["value"] == pytest.approx(point[name])
        assert cis[name]["low"] <= cis[name]["value"] <= cis[name]["high"]


@pytest.mark.filterwarnings("error")
def test_degenerate_kappa_is_nan_without_warnings():
    m = pairwise_metrics([2, 2], [2, 2])
    assert m["accuracy"] == 1.0 and math.isnan(m["cohen_kappa"])
