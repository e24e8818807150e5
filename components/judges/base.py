"""The Judge interface: a batch of (pair, order) items in, one Judgment per item out.

Every judgment carries the raw output and either parsed scores and a verdict or an explicit
failure with its reason. Verdicts stay in the coordinates of the order the judge saw; code
that compares orders (consistency, audit) uses ``schemas.mirror``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from components.judges.parsers import Parsed
from components.schemas import Judgment, Order, Pair


@dataclass(frozen=True)
class JudgeItem:
    pair: Pair
    order: Order = "original"

    @property
    def shown(self) -> Pair:
        """The pair as the judge sees it: answers traded when the order is swapped."""
        return self.pair.swapped() if self.order == "swapped" else self.pair


class Judge(Protocol):
    name: str
    template: str

    def judge(self, items: Sequence[JudgeItem]) -> list[Judgment]: ...


def both_orders(pairs: Sequence[Pair]) -> list[JudgeItem]:
    """Each pair in its original and swapped order, side by side so one batch holds both."""
    return [JudgeItem(pair, order) for pair in pairs for order in ("original", "swapped")]


def to_judgment(
    item: JudgeItem,
    judge: str,
    template: str,
    raw: str,
    parsed: Parsed,
    confidence: float | None = None,
    truncated: bool = False,
) -> Judgment:
    return Judgment(
        pair_id=item.pair.id,
        judge=judge,
        order=item.order,
        template=template,
        raw=raw,
        score1=parsed.score1,
        score2=parsed.score2,
        verdict=None if parsed.failed else parsed.verdict,
        confidence=confidence,
        failed=parsed.failed,
        failure=parsed.failure,
        truncated=truncated,
    )


def failed_judgment(item: JudgeItem, judge: str, template: str, reason: str, raw: str = "") -> Judgment:
    """An item the backend could not judge at all (endpoint error after retries, ...)."""
    return Judgment(
        pair_id=item.pair.id,
        judge=judge,
        order=item.order,
        template=template,
        raw=raw,
        failed=True,
        failure=reason,
    )
