"""Balanced position calibration: a verdict from both orders of a pair, their scores averaged.

A judge shown (A, B) and then (B, A) gives each answer two scores, one from each position; their mean
cancels a constant pull toward either position (Wang et al.'s "balanced position calibration"; MT-Bench
instead calls any disagreement between the orders a tie). The calibrated verdict is consistent by
construction, so it is reported beside the raw verdicts and never replaces them: a judge whose raw
verdicts flip with the order is still position-biased, whatever its calibrated agreement.

With logprob judging the scores are expected scores, so two answers almost never average to the same
value; an averaged margin under ``TIE_MARGIN`` (half a point of the 1-10 scale, fixed a priori, not tuned
on any split) is a tie, as two integer scores that round to the same value would be.
"""

from __future__ import annotations

from components.schemas import FIRST, SECOND, TIE, Judgment

TIE_MARGIN = 0.5
CALIBRATIONS = ("none", "swap_average")


def swap_average(original: Judgment, swapped: Judgment) -> int | None:
    """The verdict on the original order from both orders' averaged scores; None (a failure) when
    either judgment failed or has no scores."""
    scores = (original.score1, original.score2, swapped.score1, swapped.score2)
    if original.failed or swapped.failed or any(score is None for score in scores):
        return None
    first = (original.score1 + swapped.score2) / 2
    second = (original.score2 + swapped.score1) / 2
    if abs(first - second) < TIE_MARGIN:
        return TIE
    return FIRST if first > second else SECOND
