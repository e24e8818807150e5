"""The arithmetic every probe shares: where a verdict leaves one answer, rates with a question-level
bootstrap interval, flipped-example records and the wording of a verdict line.

A parse failure is never read as a tie here either: ``standing`` returns None for it, and each probe
says how it counts such items (and reports how many there were).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from scipy.stats import DegenerateDataWarning

from components.audit.base import CLEAR, FLAGGED, NOT_SIGNIFICANT, TOO_FEW, Bootstrap
from components.audit.items import Judged
from components.metrics import with_ci
from components.schemas import FIRST, SECOND, TIE

T = TypeVar("T")
LOSES, TIES, WINS = 0, 1, 2


def standing(verdict: int | None, side: int) -> int | None:
    """How the answer shown at position ``side`` (1 or 2) fares under ``verdict``: LOSES, TIES or WINS;
    None when the judgment failed. Comparing standings says whether a change moved the verdict toward
    that answer, whatever its position."""
    if side not in (FIRST, SECOND):
        raise ValueError(f"side must be 1 or 2, got {side!r}")
    if verdict is None:
        return None
    if verdict == TIE:
        return TIES
    return WINS if verdict == side else LOSES


def moved_toward(before: int | None, after: int | None, side: int) -> bool:
    """True when ``after`` treats the answer at ``side`` strictly better than ``before`` did; an item with
    a failure on either side did not move (failures are counted separately)."""
    old, new = standing(before, side), standing(after, side)
    return old is not None and new is not None and new > old


def share(flags: Sequence[bool]) -> float:
    """The share of true flags; NaN for no items (nothing measured is not a zero rate)."""
    return sum(map(bool, flags)) / len(flags) if flags else math.nan


def ci(
    rows: Sequence[T], statistic: Callable[[list[T]], float], groups: Sequence[Hashable], bootstrap: Bootstrap
) -> dict:
    """{"value", "low", "high"} with rows resampled by question (``groups``). No rows, or
    ``bootstrap.resamples == 0``, give NaN bounds instead of an error; so does a statistic that is
    undefined (NaN) on some resamples -- too little data to bound it -- without SciPy's warning."""
    if not rows:
        return {"value": math.nan, "low": math.nan, "high": math.nan}
    if bootstrap.resamples == 0:
        return {"value": float(statistic(list(rows))), "low": math.nan, "high": math.nan}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return with_ci(rows, statistic, groups, n_resamples=bootstrap.resamples, seed=bootstrap.seed)


def share_ci(flags: Sequence[bool], groups: Sequence[Hashable], bootstrap: Bootstrap) -> dict:
    return ci(list(flags), share, groups, bootstrap)


def flip_example(pair_id: str, before: Judged, after: Judged, variant: str, **extra) -> dict:
    """A flipped item as the report shows it: which pair and variant, the verdict and raw output before
    the change (clean item or control) and after it."""
    return {
        "pair_id": pair_id,
        "variant": variant,
        "order": after.item.order,
        "verdict_before": before.verdict,
        "verdict_after": after.verdict,
        "raw_before": before.judgment.raw,
        "raw_after": after.judgment.raw,
        **extra,
    }


def pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1%}"


def with_interval(result: dict) -> str:
    """``12.5% (95% CI 8.0%-17.0%)``."""
    return f"{pct(result['value'])} (95% CI {pct(result['low'])}-{pct(result['high'])})"


# The flag rule (the README's Audit section states it): a probe is flagged only when its 95% CI lies wholly
# past its line; a point estimate past the line whose CI reaches back over it is "not significant"; a probe
# with fewer than MIN_ITEMS measured items, or no CI, has "too few items". Only FLAGGED flags.
MIN_ITEMS = 10


def evidence(interval: dict, n: int, threshold: float, lower_is_worse: bool = False) -> str:
    """What ``interval`` ({"value", "low", "high"}, over ``n`` items) says about crossing ``threshold``:
    above it, or below it where lower is worse (position consistency)."""
    value, low, high = interval["value"], interval["low"], interval["high"]
    if n < MIN_ITEMS or any(math.isnan(bound) for bound in (value, low, high)):
        return TOO_FEW
    if lower_is_worse:
        return FLAGGED if high < threshold else NOT_SIGNIFICANT if value < threshold else CLEAR
    return FLAGGED if low > threshold else NOT_SIGNIFICANT if value > threshold else CLEAR


def evidence_suffix(found: str, n: int, threshold: float, reason: str, lower_is_worse: bool = False) -> str:
    """The end of a verdict line: FLAGGED with ``reason``, or why a probe past its line is not flagged."""
    side = "below" if lower_is_worse else "above"
    if found == FLAGGED:
        return f" -- FLAGGED (95% CI wholly {side} {threshold:.0%}): {reason}"
    if found == NOT_SIGNIFICANT:
        return f" -- {side} the line ({threshold:.0%}), not significant: the 95% CI reaches it; not flagged"
    if found == TOO_FEW:
        return f" -- too few items ({n}; a 95% CI needs at least {MIN_ITEMS}): not flagged"
    return ""
