"""Balanced position calibration: both orders' scores averaged into one verdict."""

import itertools

import pytest

from components.judges.calibration import TIE_MARGIN, swap_average
from components.metrics import consistency_metrics
from components.schemas import FIRST, SECOND, TIE, Judgment, mirror


def judgment(order: str, score1: float | None, score2: float | None, failed: bool = False) -> Judgment:
    verdict = None if failed else (TIE if score1 == score2 else FIRST if score1 > score2 else SECOND)
    return Judgment(
        pair_id="p",
        judge="j",
        template="judgeops",
        order=order,
        raw="",
        score1=None if failed else score1,
        score2=None if failed else score2,
        verdict=verdict,
        failed=failed,
        failure="unparseable" if failed else "",
    )


@pytest.mark.parametrize(
    "original, swapped, expected",
    [
        ((9, 2), (2, 9), FIRST),  # both orders agree
        ((8, 7), (8, 7), TIE),  # always prefers the first shown: the bias cancels out
        ((9, 7), (7, 6), FIRST),  # averages 8 vs 6.5
        ((6, 6.4), (6.6, 6.1), TIE),  # averages 6.05 vs 6.5: under half a point apart
        ((3, 9.5), (9, 4), SECOND),
    ],
)
def test_the_verdict_follows_the_averaged_scores(original, swapped, expected):
    assert swap_average(judgment("original", *original), judgment("swapped", *swapped)) == expected


def test_a_failure_in_either_order_is_a_failure_not_a_tie():
    good, bad = judgment("original", 9, 2), judgment("swapped", None, None, failed=True)
    assert swap_average(good, bad) is None
    assert swap_average(bad, good) is None


def test_calibrated_verdicts_are_consistent_by_construction():
    scores = [1, 2.5, 5, 7.25, 10]
    forward, backward = [], []
    for a, b, c, d in itertools.product(scores, repeat=4):
        first, second = judgment("original", a, b), judgment("swapped", c, d)
        forward.append(swap_average(first, second))
        backward.append(swap_average(second, first))  # the same pair seen from the other order
    assert all(v == mirror(w) for v, w in zip(forward, backward, strict=True))
    assert consistency_metrics(forward, backward)["consistency"] == 1.0
    assert 0 < TIE_MARGIN < 1
